#include "portal/core/manifest.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace p2pls::portal {
namespace {

Manifest two_slices() {
    return {.name = "movie.mkv",
            .size = 7,
            .sha256 = std::string(64, 'f'),
            .slice_bytes = 4,
            .expires_unix_s = 1'800'000'600,
            .slices = {
                {0,
                 0,
                 4,
                 std::string(64, 'a'),
                 {"http://near/v1/lockers/l/objects/f1-0?token=a&b",
                  "http://far/v1/lockers/l/objects/f1-0?token=c"}},
                {1, 4, 3, std::string(64, 'b'), {"http://far/v1/lockers/l/objects/f1-1?token=d"}}}};
}

TEST(Manifest, MetalinkListsEachSliceWithItsHashAndUrlsBestFirst) {
    const std::string xml = manifest_metalink(two_slices());
    EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
    EXPECT_NE(xml.find("<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">"), std::string::npos);
    const auto first = xml.find("<file name=\"movie.mkv.part-00000\">");
    const auto second = xml.find("<file name=\"movie.mkv.part-00001\">");
    ASSERT_NE(first, std::string::npos) << xml;
    ASSERT_NE(second, std::string::npos) << xml;
    EXPECT_LT(first, second);
    EXPECT_NE(xml.find("<size>4</size>"), std::string::npos);
    EXPECT_NE(xml.find("<hash type=\"sha-256\">" + std::string(64, 'a') + "</hash>"),
              std::string::npos);
    // Priority 1 is the best server; '&' in a URL is escaped.
    const auto near =
        xml.find("<url priority=\"1\">http://near/v1/lockers/l/objects/f1-0?token=a&amp;b</url>");
    const auto far =
        xml.find("<url priority=\"2\">http://far/v1/lockers/l/objects/f1-0?token=c</url>");
    ASSERT_NE(near, std::string::npos) << xml;
    ASSERT_NE(far, std::string::npos) << xml;
    EXPECT_LT(near, far);
    EXPECT_EQ(xml.find("&b"), std::string::npos);
}

TEST(Manifest, JsonCarriesTheWholeFileAndEverySlice) {
    const auto v = boost::json::parse(manifest_json(two_slices()));
    EXPECT_EQ(v.at("name").as_string(), "movie.mkv");
    EXPECT_EQ(v.at("size").to_number<std::uint64_t>(), 7u);
    EXPECT_EQ(v.at("sha256").as_string(), std::string(64, 'f'));
    const auto& slices = v.at("slices").as_array();
    ASSERT_EQ(slices.size(), 2u);
    EXPECT_EQ(slices[1].at("offset").to_number<std::uint64_t>(), 4u);
    EXPECT_EQ(slices[0].at("urls").as_array().size(), 2u);
}

TEST(Manifest, PartNamesGrowPastFiveDigitsWhenNeeded) {
    Manifest m;
    m.name = "x";
    m.slices.resize(123'457);
    EXPECT_EQ(part_name(m, 7), "x.part-000007");
    m.slices.resize(3);
    EXPECT_EQ(part_name(m, 2), "x.part-00002");
}

}  // namespace
}  // namespace p2pls::portal
