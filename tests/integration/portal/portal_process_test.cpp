// The file distribution platform (the draft's §6) as processes on loopback: three
// decade-server zones, each at its own address (127.0.1.1, 127.0.2.1, 127.0.3.1), an ALTO
// server whose map puts the user (127.0.0.1) nearest the second zone, and the portal. A
// publisher uploads with curl and mints a link; an unmodified aria2 downloads the file
// through the link's Metalink; the manifest ranks the zones by ALTO, and falls back to
// the configured order when ALTO is gone. Attacks and faults: a wrong key, another
// publisher, a forged or expired link, an upload cut off mid-way (no file listed, no slice
// left behind), a portal restart (the file and its links survive), copies that would
// expire on the zones (the portal refreshes them).
#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <limits>
#include <thread>

#include "tests/integration/portal/platform_fixture.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;

TEST_F(Platform, APublishersFileReachesAria2FromTheZonesAltoRanksBest) {
    const std::size_t size = 5 * kSliceBytes + 123;
    const auto file = make_file("movie.bin", size);
    const std::string original = read_file(file);
    const auto stored = json::parse(upload(file, "movie.bin"));
    EXPECT_EQ(stored.at("size").to_number<std::uint64_t>(), size);
    EXPECT_EQ(stored.at("sha256").as_string(), portal::sha256_hex(original));

    // Status: where each slice lives, two zones each.
    const auto listed = json::parse(as(kAlice, {portal_url_ + "/v1/files"}).body);
    ASSERT_EQ(listed.at("files").as_array().size(), 1u);
    const auto& slices = listed.at("files").at(0).at("slices").as_array();
    ASSERT_EQ(slices.size(), 6u);
    for (const auto& s : slices) {
        EXPECT_EQ(s.at("zones").as_array().size(), 2u);
    }

    // The manifest ranks zone 2 (cost 1) before zone 1 (10) before zone 3 (20).
    const std::string url = link("movie.bin");
    const auto manifest = curl({url});
    ASSERT_EQ(manifest.status, 200) << manifest.body;
    const auto m = json::parse(manifest.body);
    for (const auto& s : m.at("slices").as_array()) {
        std::vector<std::size_t> ranks;
        for (const auto& u : s.at("urls").as_array()) {
            const std::string text(u.as_string());
            for (std::size_t z = 0; z < 3; ++z) {
                if (text.starts_with(zone_urls_[z] + "/")) {
                    ranks.push_back(z == 1 ? 0 : z == 0 ? 1 : 2);
                }
            }
        }
        ASSERT_EQ(ranks.size(), 2u) << s;
        EXPECT_LT(ranks[0], ranks[1]) << s;
    }

    // aria2 follows the Metalink and checks every slice's SHA-256.
    const auto out = dir_ / "aria2";
    const auto [code, log] = testing::run({"aria2c", "--dir", out.string(), "--quiet=true",
                                           "--file-allocation=none", url + "?format=metalink"},
                                          60s);
    ASSERT_EQ(code, 0) << log;
    std::string joined;
    for (int i = 0; i < 6; ++i) {
        const auto part = out / ("movie.bin.part-0000" + std::to_string(i));
        ASSERT_TRUE(fs::exists(part)) << part;
        joined += read_file(part);
    }
    EXPECT_EQ(joined, original);
}

TEST_F(Platform, KeysLinksAndPublishersAreCheckedAndAltoMayBeGone) {
    const auto file = make_file("doc.bin", 1000);
    // No key, a wrong key: nothing is stored.
    EXPECT_EQ(curl({"-T", file.string(), portal_url_ + "/v1/files/doc.bin"}).status, 401);
    EXPECT_EQ(as("guess", {"-T", file.string(), portal_url_ + "/v1/files/doc.bin"}).status, 401);
    upload(file, "doc.bin");
    EXPECT_EQ(as(kAlice, {"-T", file.string(), portal_url_ + "/v1/files/doc.bin"}).status, 409);
    // Bob sees none of alice's files and can touch none.
    EXPECT_EQ(json::parse(as(kBob, {portal_url_ + "/v1/files"}).body).at("files").as_array().size(),
              0u);
    EXPECT_EQ(as(kBob, {"-X", "DELETE", portal_url_ + "/v1/files/doc.bin"}).status, 404);
    EXPECT_EQ(as(kBob, {"-d", "{}", portal_url_ + "/v1/files/doc.bin/links"}).status, 404);

    // A forged link and an expired one.
    std::string url = link("doc.bin");
    std::string forged = url;
    forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
    const auto bad = curl({forged});
    EXPECT_EQ(bad.status, 401);
    EXPECT_NE(bad.body.find("bad_link"), std::string::npos) << bad.body;
    const std::string short_lived = link("doc.bin", R"({"ttl_s": 1})");
    std::this_thread::sleep_for(2100ms);
    const auto expired = curl({short_lived});
    EXPECT_EQ(expired.status, 401);
    EXPECT_NE(expired.body.find("link_expired"), std::string::npos) << expired.body;

    // ALTO gone: the configured order, zone 1 before zone 2 before zone 3.
    alto_->stop();
    const auto m = curl({url});
    ASSERT_EQ(m.status, 200) << m.body;
    const auto fallback = json::parse(m.body);
    const auto& urls = fallback.at("slices").at(0).at("urls").as_array();
    ASSERT_EQ(urls.size(), 2u);
    EXPECT_TRUE(std::string(urls[0].as_string()).starts_with(zone_urls_[0])) << m.body;
    EXPECT_NE(curl({portal_url_ + "/metrics"}).body.find("p2pls_portal_alto_fallbacks_total 1"),
              std::string::npos);

    // Deleted: the link answers 404 and the slices are gone from the zones.
    EXPECT_EQ(as(kAlice, {"-X", "DELETE", portal_url_ + "/v1/files/doc.bin"}).status, 204);
    EXPECT_EQ(curl({url}).status, 404);
    EXPECT_EQ(objects_on(1).size() + objects_on(2).size() + objects_on(3).size(), 0u);
}

TEST_F(Platform, AnUploadCutOffLeavesNoFileAndNoSlice) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    const auto port =
        static_cast<std::uint16_t>(std::stoi(portal_url_.substr(portal_url_.rfind(':') + 1)));
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(socket, asio::buffer("PUT /v1/files/cut.bin HTTP/1.1\r\nHost: x\r\nAuthorization: "
                                     "Bearer " +
                                     kAlice + "\r\nContent-Length: 1000000\r\n\r\n"));
    asio::write(socket, asio::buffer(std::string(5 * kSliceBytes, 'x')));
    // The portal has stored slices of it by now; then the client goes away.
    ASSERT_TRUE(testing::wait_until(
        [&] { return objects_on(1).size() + objects_on(2).size() + objects_on(3).size() > 0; },
        10s));
    socket.close();
    EXPECT_TRUE(testing::wait_until(
        [&] { return objects_on(1).size() + objects_on(2).size() + objects_on(3).size() == 0; },
        10s));
    EXPECT_EQ(
        json::parse(as(kAlice, {portal_url_ + "/v1/files"}).body).at("files").as_array().size(),
        0u);
    // The name is free again.
    upload(make_file("cut.bin", 10), "cut.bin");
}

TEST_F(Platform, ARestartedPortalKeepsItsFilesAndLinks) {
    const auto file = make_file("keep.bin", 2 * kSliceBytes);
    upload(file, "keep.bin");
    const std::string url = link("keep.bin");
    ASSERT_EQ(portal_->stop(SIGTERM), 0) << portal_->output();
    start_portal();
    const auto listed = json::parse(as(kAlice, {portal_url_ + "/v1/files"}).body);
    ASSERT_EQ(listed.at("files").as_array().size(), 1u);
    // The old link names the old port; the path is what the portal checks.
    const auto path = url.substr(url.find("/v1/download/"));
    const auto m = curl({portal_url_ + path});
    EXPECT_EQ(m.status, 200) << m.body;
    EXPECT_EQ(json::parse(m.body).at("slices").as_array().size(), 2u);
}

// The zones keep a copy only for its TTL (at most their --max-ttl, a week by default),
// while a file stays until its publisher deletes it: the portal refreshes the copies'
// TTL before it runs out. Here the TTL is 4 s.
class ShortLivedCopies : public Platform {
  protected:
    std::string portal_settings() const override { return "object_ttl_s = 4\n"; }

    // The first expiry of any copy on any zone, and how many copies there are.
    std::pair<std::int64_t, std::size_t> copies() {
        std::int64_t first = std::numeric_limits<std::int64_t>::max();
        std::size_t n = 0;
        for (int z = 1; z <= 3; ++z) {
            for (const auto& o : objects_on(z)) {
                // The status is protobuf's JSON, which writes 64-bit numbers as strings.
                const auto& e = o.at("expiry_s");
                first = std::min<std::int64_t>(first, e.is_string()
                                                          ? std::stoll(std::string(e.as_string()))
                                                          : e.to_number<std::int64_t>());
                ++n;
            }
        }
        return {first, n};
    }
};

TEST_F(ShortLivedCopies, OutliveTheirFirstTtlAndTheFileStillDownloads) {
    ASSERT_FALSE(HasFatalFailure());
    const auto file = make_file("long.bin", 2 * kSliceBytes + 5);
    upload(file, "long.bin");
    const std::string url = link("long.bin");
    const auto [first, count] = copies();
    ASSERT_EQ(count, 6u);  // 3 slices, 2 copies each
    EXPECT_TRUE(testing::wait_until([&] { return copies().first > first; }, 10s))
        << portal_->output();
    // Past the first TTL (the servers sweep every second), every copy is still there and
    // the file downloads whole.
    std::this_thread::sleep_until(std::chrono::system_clock::from_time_t(first + 2));
    EXPECT_EQ(copies().second, 6u);
    const auto got = dir_ / "got.bin";
    const auto [code, out] =
        testing::run({bin_path("p2pls-fetch"), "-q", "-o", got.string(), url}, 60s);
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(read_file(got), read_file(file));
}

}  // namespace
}  // namespace p2pls
