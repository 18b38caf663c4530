// p2pls-player end to end on loopback with the real executables: a tracker, a source and
// the player (headless) play a live channel; an HTTP client decodes the player's
// /stream.ts; and the bad-input cases end with a clear message and their exit code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/core/proto_json.hpp"
#include "p2pls/report.pb.h"
#include "player/core/join.hpp"
#include "tests/support/child_process.hpp"
#include "ts_fixture.hpp"

namespace p2pls::player {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using p2pls::testing::bin_path;
using p2pls::testing::ChildOptions;
using p2pls::testing::ChildProcess;
using p2pls::testing::ServerProcess;
using p2pls::testing::TempDir;

// The HTTP status of GET `path` on 127.0.0.1:`port` (0 when nothing answers).
int http_status(const std::string& port, const std::string& path) {
    namespace asio = boost::asio;
    try {
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        s.connect(
            {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))});
        const std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        asio::write(s, asio::buffer(req));
        std::string out;
        boost::system::error_code ec;
        asio::read(s, asio::dynamic_buffer(out), ec);
        return out.size() > 12 ? std::stoi(out.substr(9, 3)) : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

class PlayerE2E : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::getenv("P2PLS_BIN_DIR") == nullptr) {
            GTEST_SKIP() << "P2PLS_BIN_DIR unset: run through ctest";
        }
    }
    void TearDown() override {
        processes_.clear();  // SIGTERM each
        tracker_.reset();
        if (HasFailure()) {
            tmp_.keep();  // the logs, for reading after the run
        }
    }

    ChildProcess& spawn(const std::string& exe, std::vector<std::string> args,
                        std::vector<std::string> env = {}) {
        return processes_.spawn(exe, std::move(args), std::move(env));
    }

    // Starts p2pls-tracker on a free port; returns its base URL.
    std::string start_tracker() {
        tracker_.emplace(bin_path("p2pls-tracker"), dir_ / "tracker.port",
                         ChildOptions{.log_file = dir_ / "p2pls-tracker.log"});
        EXPECT_TRUE(tracker_->start({"--interval", "1"})) << tracker_->output();
        tracker_port_ = std::to_string(tracker_->port());
        return tracker_->url();
    }

    // Waits until the tracker knows `channel` (the source has announced it).
    bool wait_for_channel(const std::string& channel, std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (http_status(tracker_port_, "/v1/channels/" + channel) == 200) {
                return true;
            }
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    TempDir tmp_{"p2pls-player-e2e"};
    const fs::path dir_ = tmp_.path();
    std::string tracker_port_;
    std::optional<ServerProcess> tracker_;
    p2pls::testing::Processes processes_{dir_};
};

// The player's headless environment: no display, so --sink auto would be fake too.
const std::vector<std::string> kHeadless = {"DISPLAY=", "WAYLAND_DISPLAY="};

TEST_F(PlayerE2E, PlaysALiveChannelWithoutMissesAndServesHttp) {
    const auto tracker = start_tracker();
    auto& source = spawn("p2pls-source", {"--tracker", tracker, "--channel", "live", "--listen",
                                          "127.0.0.1:0", "--key", (dir_ / "live.key").string()});
    // The viewer asks once the channel exists at the tracker.
    ASSERT_TRUE(wait_for_channel("live", 20s)) << source.output();
    const auto report = (dir_ / "qoe.jsonl").string();
    auto& player = spawn("p2pls-player",
                         {"--tracker", tracker, "--channel", "live", "--sink", "fake", "--duration",
                          "24", "--report", report, "--http-out", "0", "--join-timeout", "10"},
                         kHeadless);
    ASSERT_TRUE(player.wait_for_output("first frame decoded: startup delay", 30s))
        << "player:\n"
        << player.output() << "\nsource:\n"
        << source.output();
    std::smatch m;
    const auto out = player.output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(startup delay ([0-9.]+) s)")));
    const double startup = std::stod(m[1]);
    EXPECT_GT(startup, 0.0);
    EXPECT_LT(startup, 30.0);

    // A real HTTP client on the player's output decodes H.264.
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"((http://127\.0\.0\.1:\d+/stream\.ts))")))
        << out;
    if (test::have_program("ffprobe")) {
        const auto [code, text] =
            p2pls::testing::run({"ffprobe", "-v", "error", "-select_streams", "v:0",
                                 "-show_entries", "stream=codec_name:frame=pict_type", "-of",
                                 "csv=p=0", "-read_intervals", "%+#30", m[1].str()},
                                20s);
        EXPECT_EQ(code, 0) << text;
        EXPECT_NE(text.find("h264"), std::string::npos) << text;
    }

    const auto code = player.wait(40s);
    ASSERT_TRUE(code) << "player did not stop after --duration:\n" << player.output();
    EXPECT_EQ(*code, 0) << player.output();

    // The report: JSON lines, the last one final, with no misses and the startup delay.
    std::ifstream in(report);
    std::string line;
    std::string last;
    int lines = 0;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
            ++lines;
        }
    }
    ASSERT_GE(lines, 2) << "report has " << lines << " lines";
    report::QoeReport final_report;
    ASSERT_FALSE(parse_json(last, final_report)) << last;
    EXPECT_TRUE(final_report.final()) << last;
    EXPECT_EQ(final_report.mode(), "native");
    EXPECT_NEAR(final_report.startup_delay_s(), startup, 0.01) << last;
    EXPECT_GE(final_report.chunks_due(), 10u) << last;
    EXPECT_EQ(final_report.chunks_missed(), 0u) << last;
    EXPECT_GT(final_report.download_media_bytes(), 0u) << last;
}

// DECADE mode: the source puts its chunks into a locker on a decade-server and the player's
// embedded peer fetches them from there; no media travels over the peers' own sockets.
TEST_F(PlayerE2E, DecadeModePlaysFromStorage) {
    const auto tracker = start_tracker();
    ServerProcess server(bin_path("decade-server"), dir_ / "decade.port",
                         {.log_file = dir_ / "decade-server.log"});
    ASSERT_TRUE(server.start({"--dev-open", "--allow-any-peer"})) << server.output();
    const auto server_url = server.url();

    // Each its own client address, so that neither uses up the other's slots on the server.
    auto& source = spawn("p2pls-source",
                         {"--tracker", tracker, "--channel", "live", "--listen", "127.0.0.1:0",
                          "--key", (dir_ / "live.key").string(), "--mode", "decade",
                          "--decade-server", server_url, "--decade-local-address", "127.0.0.2"});
    ASSERT_TRUE(wait_for_channel("live", 20s)) << source.output();
    const auto report = (dir_ / "qoe.jsonl").string();
    auto& player = spawn("p2pls-player",
                         {"--tracker", tracker, "--channel", "live", "--sink", "fake", "--duration",
                          "15", "--report", report, "--join-timeout", "10", "--mode", "decade",
                          "--decade-server", server_url, "--decade-local-address", "127.0.0.3"},
                         kHeadless);
    ASSERT_TRUE(player.wait_for_output("first frame decoded: startup delay", 30s))
        << "player:\n"
        << player.output() << "\nsource:\n"
        << source.output() << "\ndecade-server:\n"
        << server.output();
    const auto code = player.wait(40s);
    ASSERT_TRUE(code) << "player did not stop after --duration:\n" << player.output();
    EXPECT_EQ(*code, 0) << player.output();
    // The status line names the share fetched from storage.
    EXPECT_NE(player.output().find("| decade "), std::string::npos) << player.output();

    std::ifstream in(report);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    report::QoeReport final_report;
    ASSERT_FALSE(parse_json(last, final_report)) << last;
    EXPECT_TRUE(final_report.final()) << last;
    EXPECT_EQ(final_report.mode(), "decade") << last;
    EXPECT_GT(final_report.startup_delay_s(), 0.0) << last;
    EXPECT_GE(final_report.chunks_due(), 5u) << last;
    EXPECT_GT(final_report.bytes_from_decade(), 0u) << last;
    EXPECT_EQ(final_report.socket_media_bytes_sent(), 0u) << last;
}

// A DECADE viewer whose server refuses it a locker says why — in its messages, its
// status line and its report — and plays natively; with --require-decade it exits with
// code 7 instead of uploading media.
TEST_F(PlayerE2E, DecadeViewerWithoutStorageSaysWhyAndRequireDecadeExits) {
    const auto tracker = start_tracker();
    // Not dev-open, and no operator key given: every locker registration is refused.
    ServerProcess server(bin_path("decade-server"), dir_ / "decade.port",
                         {.log_file = dir_ / "decade-server.log"});
    ASSERT_TRUE(server.start({"--operator-key", "only-the-operator-knows"})) << server.output();
    auto& source = spawn("p2pls-source", {"--tracker", tracker, "--channel", "live", "--listen",
                                          "127.0.0.1:0", "--key", (dir_ / "live.key").string()});
    ASSERT_TRUE(wait_for_channel("live", 20s)) << source.output();

    auto& strict =
        spawn("p2pls-player",
              {"--tracker", tracker, "--channel", "live", "--sink", "fake", "--join-timeout", "10",
               "--mode", "decade", "--decade-server", server.url(), "--require-decade"},
              kHeadless);
    const auto code = strict.wait(40s);
    ASSERT_TRUE(code) << "--require-decade did not exit:\n" << strict.output();
    EXPECT_EQ(*code, kExitNoDecade) << strict.output();
    EXPECT_NE(strict.output().find("no DECADE storage: DECADE server " + server.url()),
              std::string::npos)
        << strict.output();
    EXPECT_NE(strict.output().find("HTTP 40"), std::string::npos)
        << "the server's answer is not shown:\n"
        << strict.output();

    const auto report = (dir_ / "qoe.jsonl").string();
    auto& lenient = spawn("p2pls-player",
                          {"--tracker", tracker, "--channel", "live", "--sink", "fake",
                           "--duration", "14", "--report", report, "--join-timeout", "10", "--mode",
                           "decade", "--decade-server", server.url()},
                          kHeadless);
    ASSERT_TRUE(lenient.wait_for_output("playing natively (this viewer uploads media", 30s))
        << lenient.output();
    ASSERT_TRUE(lenient.wait_for_output("| decade OFF (", 20s)) << lenient.output();
    const auto lenient_code = lenient.wait(40s);
    ASSERT_TRUE(lenient_code) << lenient.output();
    EXPECT_EQ(*lenient_code, 0) << lenient.output();
    std::ifstream in(report);
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    report::QoeReport final_report;
    ASSERT_FALSE(parse_json(last, final_report)) << last;
    EXPECT_NE(final_report.decade_unavailable().find("HTTP 40"), std::string::npos) << last;
    EXPECT_GT(final_report.bytes_from_source() + final_report.bytes_from_peers(), 0u) << last;
}

TEST_F(PlayerE2E, SourceThatGoesAwayShowsAStallAndPlaybackResumes) {
    const auto tracker = start_tracker();
    auto& source = spawn("p2pls-source", {"--tracker", tracker, "--channel", "live", "--listen",
                                          "127.0.0.1:0", "--key", (dir_ / "live.key").string()});
    ASSERT_TRUE(wait_for_channel("live", 20s)) << source.output();
    auto& player = spawn("p2pls-player",
                         {"--tracker", tracker, "--channel", "live", "--sink", "fake", "--duration",
                          "60", "--join-timeout", "10"},
                         kHeadless);
    ASSERT_TRUE(player.wait_for_output("first frame decoded", 30s)) << player.output();
    // The source freezes (SIGSTOP): no chunks, the player says it is waiting.
    source.signal(SIGSTOP);
    const bool stalled = player.wait_for_output("stalled: no chunk for", 15s);
    source.signal(SIGCONT);
    ASSERT_TRUE(stalled) << player.output();
    EXPECT_TRUE(player.running());
    // It comes back: the player resumes by itself.
    EXPECT_TRUE(player.wait_for_output("chunks are flowing again", 20s)) << player.output();
    EXPECT_EQ(player.stop(), 0) << player.output();
}

TEST_F(PlayerE2E, OpensAWindowThatRendersUnderXvfb) {
    if (!test::have_program("Xvfb")) {
        GTEST_SKIP() << "Xvfb absent: install the Debian package xvfb to run this test";
    }
    const std::string display = ":" + std::to_string(600 + getpid() % 300);
    test::Xvfb xvfb(display);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!xvfb.ready() && xvfb.running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(xvfb.ready()) << "Xvfb did not start on " << display;
    std::string why;
    EXPECT_LT(test::screen_contrast(display, why), 5.0) << "blank before playing; " << why;

    const auto tracker = start_tracker();
    auto& source = spawn("p2pls-source", {"--tracker", tracker, "--channel", "live", "--listen",
                                          "127.0.0.1:0", "--key", (dir_ / "live.key").string()});
    ASSERT_TRUE(wait_for_channel("live", 20s)) << source.output();
    // --sink auto with a display: a window.
    auto& player =
        spawn("p2pls-player", {"--tracker", tracker, "--channel", "live", "--duration", "30"},
              {"DISPLAY=" + display, "WAYLAND_DISPLAY="});
    ASSERT_TRUE(player.wait_for_output("first frame decoded", 30s)) << player.output();
    EXPECT_EQ(player.output().find("no display"), std::string::npos) << player.output();
    // The test pattern appears on the screen.
    double contrast = 0;
    const auto shown_by = std::chrono::steady_clock::now() + 15s;
    while (contrast < 20.0 && std::chrono::steady_clock::now() < shown_by && player.running()) {
        contrast = test::screen_contrast(display, why);
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_GT(contrast, 20.0) << why << "\n" << player.output();
    EXPECT_EQ(player.stop(), 0) << player.output();
}

TEST_F(PlayerE2E, UnknownChannelIsAClearErrorAndExitCode3) {
    const auto tracker = start_tracker();
    auto& player = spawn(
        "p2pls-player",
        {"--tracker", tracker, "--channel", "nosuch", "--sink", "fake", "--join-timeout", "10"},
        kHeadless);
    const auto code = player.wait(15s);
    ASSERT_TRUE(code) << player.output();
    EXPECT_EQ(*code, 3) << player.output();
    EXPECT_NE(player.output().find("has no channel 'nosuch'"), std::string::npos)
        << player.output();
}

TEST_F(PlayerE2E, UnreachableTrackerRetriesVisiblyThenGivesUp) {
    const auto url = "http://127.0.0.1:" + std::to_string(p2pls::testing::unused_port());
    const auto started = std::chrono::steady_clock::now();
    auto& player = spawn("p2pls-player",
                         {"--tracker", url, "--channel", "live", "--sink", "fake", "--join-timeout",
                          "3", "--report", (dir_ / "r.jsonl").string()},
                         kHeadless);
    const auto code = player.wait(20s);
    ASSERT_TRUE(code) << player.output();
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(*code, 4) << player.output();
    const auto out = player.output();
    EXPECT_NE(out.find("retrying in"), std::string::npos) << out;
    EXPECT_NE(out.find("giving up"), std::string::npos) << out;
    EXPECT_NE(out.find("--join-timeout"), std::string::npos) << out;
    // It waited for (most of) the timeout rather than failing at once.
    EXPECT_GE(took, 1500ms);
    // Even so, a final report line was written.
    std::ifstream in(dir_ / "r.jsonl");
    std::string line;
    std::getline(in, line);
    EXPECT_NE(line.find("\"final\":true"), std::string::npos) << line;
}

TEST_F(PlayerE2E, BadFlagsExitWith2) {
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<Case> cases = {
        {{"--sink", "hologram"}, "--sink must be one of"},
        {{"--decade-server", "http://127.0.0.1:1"}, "need --mode decade"},
        {{"--mode", "decade", "--locker", "l1"}, "--locker and --locker-secret-file go together"},
        {{"--mode", "decade", "--locker", "l1", "--locker-secret-file", "/nonexistent/s"},
         "cannot read a 64-hex-character secret"},
        {{"--sink", "window"}, "needs a display"},
        {{"--mode", "carrier-pigeon"}, "--mode must be native or decade"},
        {{"--tracker", "ftp://x"}, "--tracker must be"},
        {{"--channel", "bad name"}, "--channel must be"},
        {{"--join-timeout", "-1"}, "--join-timeout"},
        {{"--upload-limit", "lots"}, "--upload-limit"},
        {{"--http-out", "70000"}, "--http-out"},
    };
    for (const auto& c : cases) {
        auto args = c.args;
        auto& p = spawn("p2pls-player", args, kHeadless);
        const auto code = p.wait(10s);
        ASSERT_TRUE(code) << c.says;
        EXPECT_EQ(*code, 2) << c.says << "\n" << p.output();
        EXPECT_NE(p.output().find(c.says), std::string::npos) << p.output();
    }
}

}  // namespace
}  // namespace p2pls::player
