// The proof a DECADE server sends with its registration to the tracker: an HMAC
// (libsodium crypto_auth, HMAC-SHA-512-256) under a key the operator gave both sides, over
// a context prefix, the Unix-millisecond timestamp and the exact request body. The key
// never travels; the timestamp lets the tracker refuse a proof older than its clock skew.
// Pure: the timestamp is passed in.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace p2pls {

using RegistrationKey = std::array<unsigned char, 32>;

// HTTP headers that carry the proof (the body is the DecadeServerInfo JSON).
inline constexpr std::string_view kRegistrationTimestampHeader = "X-P2pls-Timestamp";
inline constexpr std::string_view kRegistrationProofHeader = "X-P2pls-Proof";

// The proof as it travels: unpadded base64url of the 32-byte MAC.
std::string make_registration_proof(const RegistrationKey& key, std::int64_t timestamp_ms,
                                    std::string_view body);

// True when `proof` is the proof of (timestamp_ms, body) under `key` (constant time).
bool check_registration_proof(const RegistrationKey& key, std::int64_t timestamp_ms,
                              std::string_view body, std::string_view proof);

// A key file's text: 64 hex digits (surrounding whitespace allowed); nullopt otherwise.
std::optional<RegistrationKey> parse_registration_key(std::string_view text);
std::string format_registration_key(const RegistrationKey& key);

}  // namespace p2pls
