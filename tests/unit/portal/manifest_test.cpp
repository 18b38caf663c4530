#include "portal/core/manifest.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <variant>

#include "portal/core/slicer.hpp"

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

// two_slices() with sizes that add up and a whole-file hash: what the portal writes.
Manifest consistent() {
    Manifest m = two_slices();
    m.sha256 = sha256_hex("abcdefg");
    m.slices[0].sha256 = sha256_hex("abcd");
    m.slices[1].sha256 = sha256_hex("efg");
    return m;
}

std::string why_refused(std::string_view text) {
    auto parsed = parse_manifest_json(text);
    const auto* why = std::get_if<std::string>(&parsed);
    return why == nullptr ? "accepted" : *why;
}

// The manifest's JSON with one change made to the parsed value.
template <class Edit>
std::string edited(Edit edit) {
    auto v = boost::json::parse(manifest_json(consistent()));
    edit(v.as_object());
    return boost::json::serialize(v);
}

TEST(ManifestParse, ReadsBackWhatThePortalWrites) {
    const Manifest m = consistent();
    auto parsed = parse_manifest_json(manifest_json(m));
    ASSERT_TRUE(std::holds_alternative<Manifest>(parsed)) << std::get<std::string>(parsed);
    const Manifest& back = std::get<Manifest>(parsed);
    EXPECT_EQ(back.name, m.name);
    EXPECT_EQ(back.size, m.size);
    EXPECT_EQ(back.sha256, m.sha256);
    EXPECT_EQ(back.expires_unix_s, m.expires_unix_s);
    ASSERT_EQ(back.slices.size(), 2u);
    EXPECT_EQ(back.slices[1].offset, 4u);
    EXPECT_EQ(back.slices[0].urls, m.slices[0].urls);
}

TEST(ManifestParse, RefusesWhatThePortalCouldNotHaveWritten) {
    EXPECT_EQ(why_refused("[]"), "not a JSON object");
    EXPECT_EQ(why_refused("{\"name\": 1"), "not a JSON object");
    EXPECT_NE(why_refused("{}"), "accepted");
    // A path instead of a name: the file would land outside the folder asked for.
    for (const char* name : {"../etc/passwd", "/tmp/x", "a/b", ".hidden", ""}) {
        EXPECT_EQ(why_refused(edited([&](auto& o) { o["name"] = name; })),
                  "name is not a plain file name")
            << name;
    }
    EXPECT_NE(why_refused(edited([](auto& o) { o["sha256"] = "ABC"; })), "accepted");
    EXPECT_NE(why_refused(edited([](auto& o) { o["size"] = 8; })), "accepted");
    EXPECT_NE(why_refused(edited([](auto& o) { o["size"] = -1; })), "accepted");
    EXPECT_NE(why_refused(edited([](auto& o) { o["slice_bytes"] = 0; })), "accepted");
    EXPECT_NE(why_refused(edited([](auto& o) { o["slice_bytes"] = 1ULL << 40; })), "accepted");
    auto slice = [](auto edit) {
        return edited([&](auto& o) { edit(o["slices"].as_array()[1].as_object()); });
    };
    EXPECT_NE(why_refused(slice([](auto& s) { s["offset"] = 3; })), "accepted");  // overlaps
    EXPECT_NE(why_refused(slice([](auto& s) { s["index"] = 0; })), "accepted");
    EXPECT_NE(why_refused(slice([](auto& s) { s["size"] = 0; })), "accepted");
    EXPECT_NE(why_refused(slice([](auto& s) { s["size"] = 5; })), "accepted");  // > slice_bytes
    EXPECT_NE(why_refused(slice([](auto& s) { s["urls"] = boost::json::array{}; })), "accepted");
    EXPECT_NE(why_refused(slice([](auto& s) { s["urls"] = {"file:///etc/passwd"}; })), "accepted");
    EXPECT_NE(why_refused(slice([](auto& s) { s["urls"] = {"http://a b/"}; })), "accepted");
    EXPECT_NE(why_refused(slice([](auto& s) { s["urls"] = {7}; })), "accepted");
    EXPECT_NE(why_refused(slice([](auto& s) {
                  boost::json::array many;
                  for (std::size_t i = 0; i <= kMaxManifestUrls; ++i) {
                      many.emplace_back("http://x/");
                  }
                  s["urls"] = many;
              })),
              "accepted");
}

}  // namespace
}  // namespace p2pls::portal
