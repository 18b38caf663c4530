// DECADE tokens (DESIGN.md §3 "Tokens"): capabilities that a locker's owner mints locally
// (Generate_Token, no round trip) and the DECADE server checks on every object of every
// request.
//
// Wire form (version 1): base64url without padding of
//     payload ‖ HMAC-SHA256(locker secret, payload)            (32-byte MAC)
// where payload is a fixed layout of
//     u8 version (=1) | u8 ops | u8 len, locker | u8 len, prefix |
//     uvarint seq_first | uvarint seq_last - seq_first |
//     uvarint not_before_s | uvarint expiry_s - not_before_s |
//     uvarint byte_budget | uvarint token_id | u8 len, grantee
// A typical range token (locker of 12 bytes, prefix "chan-") is about 100 characters.
// Anything else — other version, short, trailing bytes, an over-long varint, a string
// above its cap — is token_malformed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/core/http_error.hpp"
#include "common/core/time.hpp"

namespace p2pls::decade_api {
class TokenClaims;
}

namespace p2pls::decade {

inline constexpr std::uint8_t kTokenVersion = 1;
inline constexpr std::size_t kSecretBytes = 32;
inline constexpr std::size_t kMacBytes = 32;
inline constexpr std::size_t kMaxLockerBytes = 64;   // locker id length cap
inline constexpr std::size_t kMaxPrefixBytes = 64;   // object-name prefix length cap
inline constexpr std::size_t kMaxGranteeBytes = 64;  // grantee (client address) length cap
// A token longer than this (in characters) is refused before decoding.
inline constexpr std::size_t kMaxTokenChars = 512;
// Default allowance for clock skew between the minting host and the server.
inline constexpr std::int64_t kDefaultSkewS = 30;

using LockerSecret = std::array<unsigned char, kSecretBytes>;

// Operations a token may grant: a bitmask (values match decade_api::OpBit).
enum class Op : std::uint8_t { get = 1, put = 2, remove = 4, status = 8 };
inline constexpr std::uint8_t kAllOps = 1 | 2 | 4 | 8;
constexpr std::uint8_t op_bit(Op op) {
    return static_cast<std::uint8_t>(op);
}

// "get,put" -> mask; unknown names -> nullopt. Names: get, put, delete, status.
std::optional<std::uint8_t> parse_ops(std::string_view list);
std::string ops_to_string(std::uint8_t mask);

struct TokenClaims {
    std::string locker;
    std::uint8_t ops = 0;         // Op mask
    std::string prefix;           // names in scope are prefix + decimal seq ...
    std::uint64_t seq_first = 0;  // ... with seq in [seq_first, seq_last]
    std::uint64_t seq_last = 0;
    UnixSeconds not_before_s = 0;
    UnixSeconds expiry_s = 0;       // valid while now < expiry_s (+ skew)
    std::uint64_t byte_budget = 0;  // bytes this token may move in total; 0 = unlimited
    std::uint64_t token_id = 0;     // chosen by the minter; keys stats and budgets
    // Empty: anyone holding the token may use it (a bearer capability, like the range
    // tokens peers advertise to all their neighbours). Else the one client address that
    // may: the IP address the server itself sees the request come from (canonical text,
    // "192.0.2.7" or "2001:db8::7"), or that a proxy the server trusts names. Never
    // something the caller says about itself, so a stolen token is useless elsewhere.
    std::string grantee;

    friend bool operator==(const TokenClaims&, const TokenClaims&) = default;
};

// Generate_Token: encodes and MACs. Fails with bad_request when the claims cannot be
// encoded (empty or over-long strings, seq_last < seq_first, expiry before not-before,
// negative times, no op).
Result<std::string> generate_token(const LockerSecret& secret, const TokenClaims& claims);

// Decodes without checking the MAC: for display and tools only, never for access.
Result<TokenClaims> decode_token_unverified(std::string_view token);

// What one object access asks of a token.
struct TokenRequest {
    std::string_view locker;  // locker the request addresses
    Op op = Op::get;
    std::string_view object_name;   // empty for status
    std::uint64_t bytes = 0;        // bytes this access moves
    std::uint64_t budget_used = 0;  // bytes already moved under this token id
    // Who asks, as the server established it (its peer's address, or a trusted proxy's
    // word): compared byte for byte with a grantee-bound token's grantee.
    std::string_view client_id;
};

// A locker secret with its HMAC-SHA256 key schedule computed once, so that each
// verification hashes only the token (half the work of keying HMAC every time). The
// verification MAC runs on OpenSSL's SHA-256 (SHA-NI/AVX2 where the CPU has them,
// about 4x libsodium's portable code); minting uses libsodium. Same HMAC-SHA256.
// Copies share the precomputed state, which is never modified.
class LockerKey {
  public:
    explicit LockerKey(const LockerSecret& secret);
    [[nodiscard]] const LockerSecret& secret() const noexcept { return secret_; }
    // MAC of `bytes` under this key; false if the hash library failed (refuse then).
    bool mac(std::string_view bytes, unsigned char out[kMacBytes]) const;

  private:
    struct Keyed;
    LockerSecret secret_;
    std::shared_ptr<const Keyed> keyed_;
};

// Finds a locker's key by id; nullptr if there is no such locker.
using SecretLookup = std::function<const LockerKey*(std::string_view locker)>;

// The one verification function every handler uses. Order: decode structure (malformed),
// look up the secret of the locker the token names, check the MAC in constant time
// (bad_mac; unknown locker is bad_mac too), and only then read claims: time window
// (expired / not_yet_valid, each with `skew_s` allowance), locker, grantee, op, scope
// (prefix + seq in range; status needs no object) and budget.
Result<TokenClaims> verify_token(std::string_view token, const SecretLookup& lookup,
                                 const TokenRequest& request, UnixSeconds now,
                                 std::int64_t skew_s = kDefaultSkewS);

// The HTTP error of a token error (common/core/http_error.hpp holds its status and wire
// code: 401 for malformed / bad MAC / expired / not yet valid, 403 for the rest); nullopt
// if `code` is not a token error.
std::optional<HttpErrc> token_http_errc(Errc code);
// Its HTTP status; 0 if `code` is not a token error.
unsigned token_error_status(Errc code);
// Its wire code, e.g. "token_expired" ("token_invalid" if `code` is not a token error).
std::string_view token_error_reason(Errc code);

// Conversions to the protobuf form (for JSON display by tools).
void to_proto(const TokenClaims& claims, decade_api::TokenClaims& out);

}  // namespace p2pls::decade
