#include "portal/core/publishers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace p2pls::portal {
namespace {

TEST(Publishers, AKeyProvesItsPublisherAndNothingElseDoes) {
    const std::string text =
        "[[publishers]]\nname = \"alice\"\nkey_sha256 = \"" + key_fingerprint("alice-secret-key") +
        "\"\n[[publishers]]\nname = \"bob\"\nkey_sha256 = \"" + key_fingerprint("bob-key") + "\"\n";
    auto parsed = Publishers::parse(text);
    ASSERT_TRUE(std::holds_alternative<Publishers>(parsed)) << std::get<std::string>(parsed);
    const auto& p = std::get<Publishers>(parsed);
    EXPECT_EQ(p.size(), 2u);
    EXPECT_EQ(p.authenticate("alice-secret-key"), "alice");
    EXPECT_EQ(p.authenticate("bob-key"), "bob");
    EXPECT_EQ(p.authenticate("alice-secret-kex"), std::nullopt);
    EXPECT_EQ(p.authenticate(""), std::nullopt);
    // The fingerprint itself is not a key.
    EXPECT_EQ(p.authenticate(key_fingerprint("bob-key")), std::nullopt);
}

TEST(Publishers, BadAccountFilesSayWhy) {
    const auto error = [](const std::string& text) {
        auto parsed = Publishers::parse(text);
        return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
    };
    const std::string key = "key_sha256 = \"" + std::string(64, 'a') + "\"\n";
    EXPECT_NE(error("[[publishers]]\nname = \"a b\"\n" + key).find("name"), std::string::npos);
    EXPECT_NE(error("[[publishers]]\nname = \"a\"\nkey_sha256 = \"zz\"\n").find("64 hex"),
              std::string::npos);
    EXPECT_NE(error("[[publishers]]\nname = \"a\"\n" + key + "[[publishers]]\nname = \"a\"\n" + key)
                  .find("twice"),
              std::string::npos);
    EXPECT_NE(error("[[publishers]]\nname = \"a\"\nkey = \"x\"\n").find("unknown key \"key\""),
              std::string::npos);
    EXPECT_NE(error("admins = 1\n").find("unknown key"), std::string::npos);
    EXPECT_NE(error("[[publishers]\n").find("line 1"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::portal
