// The grant a download link carries: the portal's own signed statement that whoever holds
// the link may download one file until an expiry, up to a byte budget (the draft's §6.1:
// the publisher hands its users the links). The portal turns a valid grant into DECADE
// tokens per zone when the link is followed, so a link does not go stale when the
// portal's zones change, and names the file by id, so that a file deleted and uploaded
// again under the same name is out of reach of the old links.
//
// Text: base64url(payload) "." base64url(HMAC-SHA-512/256(portal key, payload)), payload
// the fields below joined by '\n'.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/core/time.hpp"

namespace p2pls::portal {

using PortalKey = std::array<unsigned char, crypto_auth_KEYBYTES>;

struct Grant {
    std::string publisher;
    std::string file_name;
    std::string file_id;
    UnixSeconds expiry_s = 0;
    std::uint64_t byte_budget = 0;  // per zone token; 0 = unlimited
    std::uint64_t grant_id = 0;

    friend bool operator==(const Grant&, const Grant&) = default;
};

enum class GrantError { malformed, bad_mac, expired };

std::string encode_grant(const PortalKey& key, const Grant& grant);
// The grant when `text` is one the key signed and it is valid at `now`.
std::variant<Grant, GrantError> verify_grant(const PortalKey& key, std::string_view text,
                                             UnixSeconds now);

}  // namespace p2pls::portal
