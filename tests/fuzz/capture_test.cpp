// The capture that seeds the fuzz corpora from real traffic: a real p2pls-tracker run with
// P2PLS_CAPTURE_DIR writes the requests it received, and fuzz_seeds_from_capture lays them
// out as seeds of the tracker targets; peer-wire frames captured in this process become
// peer_frames seeds holding exactly those frames.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/core/frame_codec.hpp"
#include "common/core/peer_codec.hpp"
#include "common/posix/traffic_capture.hpp"
#include "p2pls/peer.pb.h"
#include "tests/support/child_process.hpp"

namespace p2pls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> out;
    if (fs::is_directory(dir)) {
        for (const auto& e : fs::directory_iterator(dir)) {
            out.push_back(read_file(e.path()));
        }
    }
    return out;
}

long post(const std::string& url, const std::string& body) {
    CURL* c = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION,
        +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

TEST(TrafficCapture, RealTrafficBecomesSeedsOfTheTargetsThatParseIt) {
    testing::TempDir tmp("p2pls-capture");
    const fs::path capture = tmp.path() / "capture";
    const fs::path seeds = tmp.path() / "seeds";

    // A tracker run as the integration tests run it, capturing.
    testing::ServerProcess tracker(
        testing::bin_path("p2pls-tracker"), tmp.path() / "tracker.port",
        testing::ChildOptions{.env = {"P2PLS_CAPTURE_DIR=" + capture.string()}});
    ASSERT_TRUE(tracker.start()) << tracker.output();
    const std::string announce =
        R"({"peer_id":"viewer-1","endpoint":"127.0.0.1:7001","event":"started"})";
    // No source announced "demo": 404, and the request was received all the same.
    EXPECT_EQ(post(tracker.url() + "/v1/channels/demo/announce", announce), 404);
    tracker.stop();
    const auto requests = files_in(capture / "http-request");
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_TRUE(requests[0].starts_with("POST /v1/channels/demo/announce HTTP/1.1\r\n"));
    EXPECT_TRUE(requests[0].ends_with("\r\n\r\n" + announce));

    // Frames this process receives, captured the same way.
    ASSERT_EQ(setenv("P2PLS_CAPTURE_DIR", capture.c_str(), 1), 0);
    ASSERT_TRUE(posix::capturing());
    wire::PeerMessage hello;
    hello.mutable_hello()->set_version(kWireVersion);
    hello.mutable_hello()->set_channel("demo");
    wire::PeerMessage have;
    have.mutable_have()->add_seqs(41);
    for (const auto& m : {hello, have}) {
        posix::capture_received("peer-frame", m.SerializeAsString());
    }

    const auto [code, output] = testing::run(
        {testing::bin_path("fuzz_seeds_from_capture"), capture.string(), seeds.string()}, 20s);
    ASSERT_EQ(code, 0) << output;
    EXPECT_EQ(files_in(seeds / "tracker_json"), std::vector<std::string>{announce});
    const auto api = files_in(seeds / "tracker_api");
    ASSERT_EQ(api.size(), 1u);
    EXPECT_TRUE(api[0].ends_with(announce)) << "the body is the input's rest";
    const auto frames = files_in(seeds / "peer_frames");
    ASSERT_EQ(frames.size(), 1u);
    std::string stream;
    append_frame(stream, hello.SerializeAsString());
    append_frame(stream, have.SerializeAsString());
    EXPECT_TRUE(frames[0].ends_with(stream)) << "both frames, in arrival order";
}

}  // namespace
}  // namespace p2pls
