// Every access is checked here, before the answer can reveal whether an object exists,
// and every byte a token moves is charged to it.
#include <algorithm>

#include "decade-server/core/server_core.hpp"

namespace p2pls::decade_server {

using decade::Op;
namespace {

// Token-use records kept per locker; beyond this the oldest-expiring are dropped first.
constexpr std::size_t kMaxTokenRecords = 10'000;

// The same refusal, said of the remote token of a Remote Get served by linking.
HttpErrc remote_variant(HttpErrc code) {
    static_assert(static_cast<int>(HttpErrc::remote_token_wrong_grantee) -
                      static_cast<int>(HttpErrc::remote_token_malformed) ==
                  static_cast<int>(HttpErrc::token_wrong_grantee) -
                      static_cast<int>(HttpErrc::token_malformed));
    return static_cast<HttpErrc>(static_cast<int>(code) -
                                 static_cast<int>(HttpErrc::token_malformed) +
                                 static_cast<int>(HttpErrc::remote_token_malformed));
}

}  // namespace

std::optional<decade::TokenClaims> ServerCore::authorize(const Caller& caller,
                                                         std::string_view locker, Op op,
                                                         std::string_view name, std::uint64_t bytes,
                                                         UnixSeconds now, OpResult& result,
                                                         bool remote) {
    std::uint64_t used = 0;
    // Budget use is looked up by the claimed token id only after the MAC has passed,
    // so the first call runs with used = 0 and a second call adds the real figure.
    decade::TokenRequest request{locker, op, name, bytes, used, caller.client_id};
    auto verified = decade::verify_token(caller.token, lookup_, request, now, config_.token_skew_s);
    if (verified && verified->byte_budget != 0) {
        const auto& lk = lockers_.find(locker)->second;  // exists: the MAC matched its secret
        const auto use = lk.tokens.find(verified->token_id);
        if (use != lk.tokens.end() && use->second.bytes != 0) {
            request.budget_used = use->second.bytes;
            verified =
                decade::verify_token(caller.token, lookup_, request, now, config_.token_skew_s);
        }
    }
    if (!verified) {
        const auto code = static_cast<Errc>(verified.error().value());
        const HttpErrc refusal = decade::token_http_errc(code).value_or(HttpErrc::token_invalid);
        result =
            error_result(remote ? remote_variant(refusal) : refusal, verified.error().message());
        return std::nullopt;
    }
    return std::move(*verified);
}

void ServerCore::account(Locker& locker, const decade::TokenClaims& claims, std::uint64_t bytes) {
    auto it = locker.tokens.find(claims.token_id);
    if (it == locker.tokens.end()) {
        if (locker.tokens.size() >= kMaxTokenRecords) {
            // Forget the record whose token expires first: a bounded table, and only
            // tokens at the end of their life lose their budget history.
            auto oldest = std::min_element(
                locker.tokens.begin(), locker.tokens.end(),
                [](const auto& a, const auto& b) { return a.second.expiry_s < b.second.expiry_s; });
            locker.tokens.erase(oldest);
        }
        it = locker.tokens.emplace(claims.token_id, TokenUse{}).first;
    }
    ++it->second.requests;
    it->second.bytes += bytes;
    it->second.expiry_s = claims.expiry_s;
}

std::uint64_t ServerCore::budget_left(const Locker& locker,
                                      const decade::TokenClaims& claims) const {
    if (claims.byte_budget == 0) {
        return kNoByteLimit;
    }
    const auto use = locker.tokens.find(claims.token_id);
    const std::uint64_t used = use == locker.tokens.end() ? 0 : use->second.bytes;
    return used >= claims.byte_budget ? 0 : claims.byte_budget - used;
}

}  // namespace p2pls::decade_server
