#include "portal/core/grant.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include "common/core/base64.hpp"
#include "portal/core/catalog.hpp"

namespace p2pls::portal {

namespace {

// Longer text is not a grant this portal wrote.
constexpr std::size_t kMaxGrantText = 1024;

std::string payload_of(const Grant& g) {
    return g.publisher + "\n" + g.file_name + "\n" + g.file_id + "\n" + std::to_string(g.expiry_s) +
           "\n" + std::to_string(g.byte_budget) + "\n" + std::to_string(g.grant_id);
}

template <class T>
std::optional<T> number(std::string_view text) {
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

std::string encode_grant(const PortalKey& key, const Grant& grant) {
    const std::string payload = payload_of(grant);
    std::array<unsigned char, crypto_auth_BYTES> mac{};
    crypto_auth(mac.data(), reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                key.data());
    return base64_encode(payload, Base64::url) + "." +
           base64_encode({reinterpret_cast<const char*>(mac.data()), mac.size()}, Base64::url);
}

std::variant<Grant, GrantError> verify_grant(const PortalKey& key, std::string_view text,
                                             UnixSeconds now) {
    const auto dot = text.find('.');
    if (text.size() > kMaxGrantText || dot == std::string_view::npos) {
        return GrantError::malformed;
    }
    const auto payload = base64_decode(text.substr(0, dot), Base64::url);
    const auto mac = base64_decode(text.substr(dot + 1), Base64::url);
    if (!payload || !mac || mac->size() != crypto_auth_BYTES) {
        return GrantError::malformed;
    }
    if (crypto_auth_verify(reinterpret_cast<const unsigned char*>(mac->data()),
                           reinterpret_cast<const unsigned char*>(payload->data()), payload->size(),
                           key.data()) != 0) {
        return GrantError::bad_mac;
    }
    std::vector<std::string_view> fields;
    std::string_view rest = *payload;
    for (std::size_t nl; (nl = rest.find('\n')) != std::string_view::npos;) {
        fields.push_back(rest.substr(0, nl));
        rest.remove_prefix(nl + 1);
    }
    fields.push_back(rest);
    if (fields.size() != 6) {
        return GrantError::malformed;
    }
    Grant g;
    g.publisher = fields[0];
    g.file_name = fields[1];
    g.file_id = fields[2];
    const auto expiry = number<UnixSeconds>(fields[3]);
    const auto budget = number<std::uint64_t>(fields[4]);
    const auto id = number<std::uint64_t>(fields[5]);
    if (!expiry || !budget || !id || !valid_publisher_name(g.publisher) ||
        !valid_file_name(g.file_name)) {
        return GrantError::malformed;
    }
    g.expiry_s = *expiry;
    g.byte_budget = *budget;
    g.grant_id = *id;
    if (now >= g.expiry_s) {
        return GrantError::expired;
    }
    return g;
}

}  // namespace p2pls::portal
