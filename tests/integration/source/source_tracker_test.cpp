// p2pls-source against the real p2pls-tracker: the channel appears with the source's
// public key, bitrate, chunk duration and a growing live edge, and disappears when the
// source stops; with the tracker down the source keeps producing chunks.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/core/base64.hpp"
#include "common/core/chunk_signature.hpp"
#include "source/core/signed_chunk.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::pair<long, std::string> http_get(const std::string& url) {
    CURL* curl = curl_easy_init();
    std::string body;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* user) -> size_t {
            static_cast<std::string*>(user)->append(data, size * n);
            return size * n;
        });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_cleanup(curl);
    return {status, body};
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

class SourceTracker : public ::testing::Test {
  protected:
    const TempDir tmp_{"p2pls-source-tracker"};
    const fs::path dir_ = tmp_.path();
};

TEST_F(SourceTracker, AnnouncesTheChannelAndLeavesOnStop) {
    ServerProcess tracker(bin_path("p2pls-tracker"), dir_ / "port");
    ASSERT_TRUE(tracker.start({"--interval", "1"})) << tracker.output();
    const std::string base = tracker.url();

    ChildProcess source({bin_path("p2pls-source"),
                         "--key",
                         (dir_ / "k.key").string(),
                         "--tracker",
                         base,
                         "--listen",
                         "127.0.0.1:0",
                         "--port-file",
                         (dir_ / "source-port").string(),
                         "--channel",
                         "tv",
                         "--bitrate",
                         "300",
                         "--chunk-ms",
                         "500",
                         "--width",
                         "160",
                         "--height",
                         "90",
                         "--fps",
                         "20"});
    // Wait (bounded) until the tracker reports a live edge of at least 2.
    std::string info;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
        const auto [status, body] = http_get(base + "/v1/channels/tv");
        if (status == 200 && body.find("\"live_edge\":\"") != std::string::npos &&
            body.find("\"live_edge\":\"0\"") == std::string::npos &&
            body.find("\"live_edge\":\"1\"") == std::string::npos) {
            info = body;
            break;
        }
        std::this_thread::sleep_for(200ms);
    }
    ASSERT_FALSE(info.empty()) << source.output();
    const auto seed = source::parse_key_file(read_file(dir_ / "k.key"));
    ASSERT_TRUE(seed.has_value());
    const auto keys = keypair_from_seed(*seed);
    // protobuf's JSON mapping writes `bytes` fields as padded standard base64.
    const std::string key_b64 =
        base64_encode(std::string_view(reinterpret_cast<const char*>(keys.public_key.data()),
                                       keys.public_key.size()),
                      Base64::standard);
    EXPECT_NE(info.find(key_b64), std::string::npos) << info;
    EXPECT_NE(info.find("\"bitrate_bps\":\"300000\""), std::string::npos) << info;
    EXPECT_NE(info.find("\"chunk_ms\":500"), std::string::npos) << info;
    const std::string source_port = read_file(dir_ / "source-port");
    ASSERT_FALSE(source_port.empty());
    EXPECT_NE(info.find("127.0.0.1:" + std::to_string(std::stoi(source_port))), std::string::npos)
        << info;

    source.signal(SIGTERM);
    ASSERT_EQ(source.wait(15s).value_or(-1), 0) << source.output();
    // The source said `stopped`: the channel is gone from the tracker.
    EXPECT_EQ(http_get(base + "/v1/channels/tv").first, 404);
    tracker.stop();
}

// A real p2pls-peer joins through the tracker and downloads verified chunks from the
// source over the peer wire protocol.
TEST_F(SourceTracker, APeerFetchesChunksFromTheSource) {
    ServerProcess tracker(bin_path("p2pls-tracker"), dir_ / "port");
    ASSERT_TRUE(tracker.start({"--interval", "1"})) << tracker.output();
    const std::string base = tracker.url();
    ChildProcess source({bin_path("p2pls-source"), "--key", (dir_ / "k.key").string(), "--tracker",
                         base, "--listen", "127.0.0.1:0", "--channel", "tv", "--chunk-ms", "500",
                         "--width", "160", "--height", "90", "--fps", "20", "--bitrate", "200"});
    ChildProcess peer({bin_path("p2pls-peer"), "--tracker", base, "--channel", "tv", "--listen",
                       "127.0.0.1:0", "--report", (dir_ / "peer.jsonl").string()});
    // Wait (bounded) for a report line with media bytes from the source.
    bool got_media = false;
    const auto until = std::chrono::steady_clock::now() + 40s;
    std::string last;
    while (!got_media && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(250ms);
        std::istringstream lines(read_file(dir_ / "peer.jsonl"));
        for (std::string line; std::getline(lines, line);) {
            last = line;
        }
        got_media = last.find("\"bytes_from_source\":\"") != std::string::npos &&
                    last.find("\"bytes_from_source\":\"0\"") == std::string::npos;
    }
    EXPECT_TRUE(got_media) << last << "\n" << peer.output() << "\n" << source.output();
    EXPECT_EQ(last.find("chunks_rejected\":\"") == std::string::npos ||
                  last.find("\"chunks_rejected\":\"0\"") != std::string::npos,
              true)
        << last;
    peer.signal(SIGTERM);
    source.signal(SIGTERM);
    EXPECT_EQ(peer.wait(15s).value_or(-1), 0) << peer.output();
    EXPECT_EQ(source.wait(15s).value_or(-1), 0) << source.output();
    tracker.stop();
}

// --upload-limit caps what the source sends to peers: the media bytes it served stay
// within one bucket (burst) plus limit x time, far below what an uncapped source sends.
TEST_F(SourceTracker, UploadLimitCapsWhatPeersGet) {
    ServerProcess tracker(bin_path("p2pls-tracker"), dir_ / "port");
    ASSERT_TRUE(tracker.start({"--interval", "1"})) << tracker.output();
    const std::string base = tracker.url();
    const auto started = std::chrono::steady_clock::now();
    ChildProcess source({bin_path("p2pls-source"), "--key", (dir_ / "k.key").string(), "--tracker",
                         base, "--listen", "127.0.0.1:0", "--channel", "tv", "--width", "320",
                         "--height", "180", "--bitrate", "800", "--upload-limit", "10k",
                         "--duration", "8"});
    ChildProcess peer(
        {bin_path("p2pls-peer"), "--tracker", base, "--channel", "tv", "--listen", "127.0.0.1:0"});
    const auto code = source.wait(40s);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_EQ(code.value_or(-1), 0) << source.output();
    const std::string& out = source.output();
    const auto at = out.find("upload_media_bytes=");
    ASSERT_NE(at, std::string::npos) << out;
    const double served = std::stod(out.substr(at + 19));
    // Burst: two chunks of 800 kbit/s x 1.2 (TS overhead) = 240 kB; plus 10 kB/s.
    EXPECT_LE(served, 240'000 + 10'000 * elapsed + 200'000 /* one chunk in flight */) << out;
    peer.signal(SIGTERM);
    peer.wait(15s);
    tracker.stop();
}

// The tracker is down when the source starts and comes up later: the source's retries
// reach it and the channel appears, with no restart of the source.
TEST_F(SourceTracker, AnnouncesOnceTheTrackerComesUp) {
    const int port = unused_port();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    ChildProcess source({bin_path("p2pls-source"), "--key", (dir_ / "k.key").string(), "--tracker",
                         base, "--listen", "127.0.0.1:0", "--channel", "late", "--width", "160",
                         "--height", "90"});
    ASSERT_TRUE(source.wait_for_output("[warning] tracker", 20s)) << source.output();
    ChildProcess tracker({bin_path("p2pls-tracker"), "--listen",
                          "127.0.0.1:" + std::to_string(port), "--interval", "1"});
    bool announced = false;
    const auto until = std::chrono::steady_clock::now() + 40s;
    while (!announced && std::chrono::steady_clock::now() < until) {
        announced = http_get(base + "/v1/channels/late").first == 200;
        std::this_thread::sleep_for(250ms);
    }
    EXPECT_TRUE(announced) << source.output() << tracker.output();
    source.signal(SIGTERM);
    EXPECT_EQ(source.wait(15s).value_or(-1), 0) << source.output();
    tracker.stop();
}

TEST_F(SourceTracker, TrackerDownKeepsProducing) {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    const auto [code, out] =
        run({bin_path("p2pls-source"), "--key", (dir_ / "k.key").string(), "--tracker",
             "http://127.0.0.1:1", "--listen", "127.0.0.1:0", "--record", (dir_ / "rec").string(),
             "--duration", "3.2", "--width", "160", "--height", "90"},
            60s);
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("tracker"), std::string::npos) << out;
    EXPECT_TRUE(fs::exists(dir_ / "rec" / "000002.ts")) << out;
}

}  // namespace
}  // namespace p2pls::testing
