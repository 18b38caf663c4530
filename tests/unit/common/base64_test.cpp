#include "common/core/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2pls {
namespace {

struct Vector {
    std::string bytes;
    std::string standard;
    std::string url;
};

// RFC 4648 §10, with the URL form being the same text without its padding.
const std::vector<Vector> kRfc4648 = {
    {.bytes = "", .standard = "", .url = ""},
    {.bytes = "f", .standard = "Zg==", .url = "Zg"},
    {.bytes = "fo", .standard = "Zm8=", .url = "Zm8"},
    {.bytes = "foo", .standard = "Zm9v", .url = "Zm9v"},
    {.bytes = "foob", .standard = "Zm9vYg==", .url = "Zm9vYg"},
    {.bytes = "fooba", .standard = "Zm9vYmE=", .url = "Zm9vYmE"},
    {.bytes = "foobar", .standard = "Zm9vYmFy", .url = "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Vectors) {
    for (const auto& v : kRfc4648) {
        EXPECT_EQ(base64_encode(v.bytes, Base64::standard), v.standard) << v.bytes;
        EXPECT_EQ(base64_encode(v.bytes, Base64::url), v.url) << v.bytes;
        EXPECT_EQ(base64_decode(v.standard, Base64::standard), v.bytes) << v.standard;
        EXPECT_EQ(base64_decode(v.url, Base64::url), v.bytes) << v.url;
    }
}

TEST(Base64, TheVariantsDifferInTheLastTwoCharacters) {
    const std::string bytes = "\xfb\xff\xbf";  // 111110 111111 111110 111111
    EXPECT_EQ(base64_encode(bytes, Base64::standard), "+/+/");
    EXPECT_EQ(base64_encode(bytes, Base64::url), "-_-_");
    EXPECT_EQ(base64_decode("-_-_", Base64::url), bytes);
    EXPECT_EQ(base64_decode("+/+/", Base64::standard), bytes);
    EXPECT_FALSE(base64_decode("+/+/", Base64::url));
    EXPECT_FALSE(base64_decode("-_-_", Base64::standard));
}

TEST(Base64, AppendKeepsWhatIsThere) {
    std::string out = "\"";
    append_base64(out, "fo", Base64::standard);
    EXPECT_EQ(out, "\"Zm8=");
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    for (std::size_t n = 0; n <= bytes.size(); n += 7) {
        const std::string part = bytes.substr(bytes.size() - n);
        for (const auto variant : {Base64::standard, Base64::url}) {
            const auto text = base64_encode(part, variant);
            EXPECT_EQ(base64_decode(text, variant), part) << text;
        }
    }
}

TEST(Base64, StandardRejectsBadPadding) {
    for (const char* bad :
         {"Zg", "Zg=", "Zg===", "Z===", "Zm8", "Zm8==", "=Zm8", "Zg==Zg==", "Zm=8", "===="}) {
        EXPECT_FALSE(base64_decode(bad, Base64::standard)) << bad;
    }
}

TEST(Base64, UrlRejectsPaddingAndALoneCharacter) {
    for (const char* bad : {"Zg==", "Zm8=", "Z", "Zm9vY"}) {
        EXPECT_FALSE(base64_decode(bad, Base64::url)) << bad;
    }
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
    for (const char* bad : {"Zm9!", "Zm 9", "Zm9\n", "Zm9\x80"}) {
        EXPECT_FALSE(base64_decode(bad, Base64::url)) << bad;
        EXPECT_FALSE(base64_decode(bad, Base64::standard)) << bad;
    }
}

TEST(Base64, RejectsNonZeroUnusedBits) {
    // "Zh" and "Zm9=" carry bits beyond the last whole byte: a second text for "f" and "fo".
    EXPECT_FALSE(base64_decode("Zh", Base64::url));
    EXPECT_FALSE(base64_decode("Zh==", Base64::standard));
    EXPECT_FALSE(base64_decode("Zm9", Base64::url));
    EXPECT_FALSE(base64_decode("Zm9=", Base64::standard));
}

}  // namespace
}  // namespace p2pls
