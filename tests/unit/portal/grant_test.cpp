#include "portal/core/grant.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace p2pls::portal {
namespace {

PortalKey key(unsigned char fill) {
    PortalKey k;
    k.fill(fill);
    return k;
}

const Grant kGrant{.publisher = "alice",
                   .file_name = "movie.mkv",
                   .file_id = "f0123456789abcdef",
                   .expiry_s = 2000,
                   .byte_budget = 1 << 20,
                   .grant_id = 42};

TEST(Grant, VerifiesUntilItExpires) {
    const std::string text = encode_grant(key(1), kGrant);
    const auto ok = verify_grant(key(1), text, 1999);
    ASSERT_TRUE(std::holds_alternative<Grant>(ok));
    EXPECT_EQ(std::get<Grant>(ok), kGrant);
    EXPECT_EQ(std::get<GrantError>(verify_grant(key(1), text, 2000)), GrantError::expired);
}

TEST(Grant, AnotherKeyOrAnyChangedCharacterIsRefused) {
    const std::string text = encode_grant(key(1), kGrant);
    EXPECT_EQ(std::get<GrantError>(verify_grant(key(2), text, 0)), GrantError::bad_mac);
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::string changed = text;
        changed[i] = changed[i] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(std::holds_alternative<Grant>(verify_grant(key(1), changed, 0))) << i;
    }
    for (const char* bad : {"", ".", "abc", "abc.def", "a.b.c"}) {
        EXPECT_EQ(std::get<GrantError>(verify_grant(key(1), bad, 0)), GrantError::malformed) << bad;
    }
    EXPECT_EQ(std::get<GrantError>(verify_grant(key(1), std::string(2000, 'A'), 0)),
              GrantError::malformed);
}

}  // namespace
}  // namespace p2pls::portal
