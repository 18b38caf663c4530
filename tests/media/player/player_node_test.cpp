// The player's orchestration in-process: a fake tracker (common/http) and a stand-in
// embedded peer (tests/support/fake_embedded_peer.hpp, injected through
// PlayerNodeConfig::make_peer) around the real pipeline, HTTP output and report writer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "common/core/proto_json.hpp"
#include "common/http/http_server.hpp"
#include "p2pls/report.pb.h"
#include "p2pls/tracker.pb.h"
#include "peer/net/peer_node.hpp"
#include "player/core/join.hpp"
#include "player/net/player_node.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fake_embedded_peer.hpp"
#include "ts_fixture.hpp"

namespace p2pls::player {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The stand-in peer: six chunks of the test media, one every 500 ms.
net::PeerFactory fake_peer() {
    std::string why;
    const auto& chunks = test::ts_chunks(6, why);
    EXPECT_FALSE(chunks.empty()) << why;
    return p2pls::testing::FakeEmbeddedPeer::factory({chunks.begin(), chunks.end()});
}

std::string read_all(FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string out;
    char buf[4096];
    while (const auto n = std::fread(buf, 1, sizeof buf, f)) {
        out.append(buf, n);
    }
    return out;
}

class PlayerNodeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        status_ = std::tmpfile();
        messages_ = std::tmpfile();
    }
    void TearDown() override {
        std::fclose(status_);
        std::fclose(messages_);
    }

    // A tracker that knows channel "live" and answers 503 to the first `busy` requests.
    std::string fake_tracker(int busy = 0) {
        busy_left_ = busy;
        tracker_.emplace(
            io_, asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0},
            p2pls::http::ServerLimits{},
            [this](p2pls::http::Request& req,
                   const p2pls::http::RequestContext&) -> asio::awaitable<p2pls::http::Response> {
                ++tracker_requests_;
                if (busy_left_ > 0) {
                    --busy_left_;
                    co_return p2pls::http::make_error_response(
                        req, p2pls::http::Status::service_unavailable, "busy", "try later");
                }
                if (req.target() == "/v1/channels/live") {
                    tracker_api::ChannelInfo info;
                    info.set_name("live");
                    info.set_chunk_ms(1000);
                    info.set_live_edge(103);
                    info.set_members(2);
                    co_return p2pls::http::make_json_response(req, p2pls::http::Status::ok,
                                                              to_json(info));
                }
                co_return p2pls::http::make_error_response(req, p2pls::http::Status::not_found,
                                                           "unknown_channel", "no such channel");
            });
        tracker_->start();
        return "http://127.0.0.1:" + std::to_string(tracker_->local_endpoint().port());
    }

    // Runs the node until it exits (or `limit`); returns its exit code.
    std::optional<int> run(PlayerOptions o, std::chrono::seconds limit = 30s, bool tty = false) {
        node_.emplace(io_, net::PlayerNodeConfig{.options = std::move(o),
                                                 .has_display = false,
                                                 .status_is_tty = tty,
                                                 .status_out = status_,
                                                 .message_out = messages_,
                                                 .status_interval = 200ms,
                                                 .make_peer = fake_peer()});
        std::optional<int> exit_code;
        std::string why;
        if (const auto failed = node_->start([&](int code) { exit_code = code; }, why)) {
            ADD_FAILURE() << "start failed: " << why;
            return failed;
        }
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!exit_code && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
        }
        return exit_code;
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    std::optional<p2pls::http::HttpServer> tracker_;
    std::optional<net::PlayerNode> node_;
    int busy_left_ = 0;
    int tracker_requests_ = 0;
    FILE* status_ = nullptr;
    FILE* messages_ = nullptr;
    const p2pls::testing::TempDir tmp_{"p2pls-player-node"};
    const std::string report_ = (tmp_.path() / "report.jsonl").string();
};

TEST_F(PlayerNodeTest, JoinsPlaysMeasuresStartupAndWritesTheReport) {
    PlayerOptions o;
    o.tracker_url = fake_tracker();
    o.sink = {.kind = SinkKind::fake};
    o.duration = 3500ms;
    o.report_path = report_;
    o.http_out_port = 0;
    const auto code = run(o);
    const auto messages = read_all(messages_);
    ASSERT_EQ(code, kExitOk) << messages;
    EXPECT_NE(messages.find("joined channel 'live'"), std::string::npos) << messages;
    EXPECT_NE(messages.find("first frame decoded: startup delay"), std::string::npos) << messages;
    EXPECT_NE(messages.find("/stream.ts"), std::string::npos) << messages;

    const auto snap = node_->snapshot();
    ASSERT_TRUE(snap.startup_delay_s);
    EXPECT_GT(*snap.startup_delay_s, 0.0);
    EXPECT_LT(*snap.startup_delay_s, 3.5);
    EXPECT_GT(snap.frames_decoded, 25u);
    // From the peer's playback view: 2 s held, live edge 3 chunks past the next to play.
    ASSERT_TRUE(snap.buffer_s);
    EXPECT_DOUBLE_EQ(*snap.buffer_s, 2.0);
    ASSERT_TRUE(snap.lag_s);
    EXPECT_DOUBLE_EQ(*snap.lag_s, 4.0);

    const auto status = read_all(status_);
    EXPECT_NE(status.find("startup "), std::string::npos) << status;
    EXPECT_NE(status.find("frames "), std::string::npos) << status;
    EXPECT_EQ(status.find('\r'), std::string::npos) << "not a TTY: plain lines";

    std::ifstream in(report_);
    std::string line;
    std::vector<report::QoeReport> lines;
    while (std::getline(in, line)) {
        report::QoeReport r;
        ASSERT_FALSE(parse_json(line, r)) << line;
        lines.push_back(r);
    }
    ASSERT_GE(lines.size(), 3u);
    EXPECT_TRUE(lines.back().final());
    EXPECT_EQ(lines.back().mode(), "native");
    EXPECT_NEAR(lines.back().startup_delay_s(), *snap.startup_delay_s, 1e-6);
    EXPECT_EQ(lines.front().startup_delay_s(), -1.0);  // before the first frame
}

TEST_F(PlayerNodeTest, OnATerminalTheStatusLineRefreshesInPlace) {
    PlayerOptions o;
    o.tracker_url = fake_tracker();
    o.sink = {.kind = SinkKind::fake};
    o.duration = 1500ms;
    ASSERT_EQ(run(o, 30s, true), kExitOk);
    const auto status = read_all(status_);
    // Several refreshes, each back to the line start and clearing the rest of it.
    int refreshes = 0;
    for (auto pos = status.find("\r"); pos != std::string::npos; pos = status.find("\r", pos + 1)) {
        ++refreshes;
    }
    EXPECT_GE(refreshes, 4) << status;
    EXPECT_NE(status.find("\x1b[K"), std::string::npos);
    // The last status stays on screen, ending the line for the shell prompt.
    EXPECT_EQ(status.back(), '\n');
}

TEST_F(PlayerNodeTest, StatsJsonServedOnTheHttpOutput) {
    PlayerOptions o;
    o.tracker_url = fake_tracker();
    o.sink = {.kind = SinkKind::fake};
    o.duration = 2500ms;
    o.http_out_port = 0;
    node_.emplace(io_, net::PlayerNodeConfig{.options = o,
                                             .status_out = status_,
                                             .message_out = messages_,
                                             .status_interval = 200ms,
                                             .make_peer = fake_peer()});
    std::optional<int> exit_code;
    std::string why;
    ASSERT_FALSE(node_->start([&](int code) { exit_code = code; }, why)) << why;
    // Find the port in the "HTTP output:" message, then ask /stats while playing.
    const auto messages = read_all(messages_);
    const auto at = messages.find("127.0.0.1:");
    ASSERT_NE(at, std::string::npos) << messages;
    const int port = std::stoi(messages.substr(at + 10));
    if (!test::have_program("curl")) {
        GTEST_SKIP() << "curl absent";
    }
    // Asked while playing: polled until a chunk has played (the fake plays one at once).
    std::string body;
    std::thread client([&] {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            body = p2pls::testing::run(
                       {"curl", "-s", "http://127.0.0.1:" + std::to_string(port) + "/stats"},
                       std::chrono::seconds(10))
                       .second;
            if (body.find("\"chunks_played\":0,") == std::string::npos &&
                body.find("\"chunks_played\":") != std::string::npos) {
                return;
            }
            std::this_thread::sleep_for(100ms);  // polling
        }
    });
    while (!exit_code) {
        io_.run_for(10ms);
    }
    client.join();
    EXPECT_NE(body.find("\"player\":{"), std::string::npos) << body;
    EXPECT_NE(body.find("\"frames_decoded\":"), std::string::npos) << body;
    EXPECT_NE(body.find("\"peer\":{\"fake\":true}"), std::string::npos) << body;
    // Valid JSON as a whole (the status text is escaped, not pasted in).
    google::protobuf::Struct parsed;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok()) << body;
}

TEST_F(PlayerNodeTest, UnknownChannelStopsWithItsExitCode) {
    PlayerOptions o;
    o.tracker_url = fake_tracker();
    o.channel = "other";
    o.sink = {.kind = SinkKind::fake};
    EXPECT_EQ(run(o), kExitUnknownChannel);
    EXPECT_NE(read_all(messages_).find("has no channel 'other'"), std::string::npos);
}

TEST_F(PlayerNodeTest, BusyTrackerIsRetriedThenJoined) {
    PlayerOptions o;
    o.tracker_url = fake_tracker(2);
    o.sink = {.kind = SinkKind::fake};
    o.duration = 3s;
    EXPECT_EQ(run(o), kExitOk);
    const auto messages = read_all(messages_);
    EXPECT_NE(messages.find("HTTP 503"), std::string::npos) << messages;
    EXPECT_NE(messages.find("joined channel 'live'"), std::string::npos) << messages;
    EXPECT_GE(tracker_requests_, 3);
}

TEST_F(PlayerNodeTest, UnreachableTrackerGivesUpAfterTheJoinTimeout) {
    PlayerOptions o;
    o.tracker_url = "http://127.0.0.1:" + std::to_string(p2pls::testing::unused_port());
    o.sink = {.kind = SinkKind::fake};
    o.join_timeout = 2s;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(run(o), kExitTrackerUnreachable);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 1900ms);
    const auto messages = read_all(messages_);
    EXPECT_NE(messages.find("retrying in"), std::string::npos) << messages;
    EXPECT_NE(messages.find("giving up"), std::string::npos) << messages;
}

TEST_F(PlayerNodeTest, DecadeModeConfiguresThePeerAndShowsTheStorageShare) {
    PlayerOptions o;
    o.tracker_url = fake_tracker();
    o.mode = PlayerMode::decade;
    o.sink = {.kind = SinkKind::fake};
    o.duration = 2500ms;
    o.report_path = report_;
    bool decade_enabled = false;
    int configured = 0;
    node_.emplace(io_, net::PlayerNodeConfig{
                           .options = o,
                           .status_out = status_,
                           .message_out = messages_,
                           .status_interval = 200ms,
                           .configure_peer =
                               [&](p2pls::net::PeerNodeConfig& pc) {
                                   ++configured;
                                   decade_enabled = pc.engine.decade.enabled;
                                   pc.decade_local_address = "127.0.0.9";
                               },
                           .make_peer = fake_peer(),
                       });
    std::optional<int> exit_code;
    std::string why;
    ASSERT_FALSE(node_->start([&](int code) { exit_code = code; }, why)) << why;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!exit_code && std::chrono::steady_clock::now() < deadline) {
        io_.run_for(10ms);
    }
    ASSERT_EQ(exit_code, kExitOk) << read_all(messages_);
    EXPECT_EQ(configured, 1);
    EXPECT_TRUE(decade_enabled);  // the player turns DECADE on before the hook runs
    const auto snap = node_->snapshot();
    ASSERT_TRUE(snap.decade_share);
    EXPECT_DOUBLE_EQ(*snap.decade_share, 1.0);
    const auto status = read_all(status_);
    EXPECT_NE(status.find("| decade 100%"), std::string::npos) << status;

    std::ifstream in(report_);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        last = line;
    }
    report::QoeReport r;
    ASSERT_FALSE(parse_json(last, r)) << last;
    EXPECT_EQ(r.mode(), "decade");
    EXPECT_GT(r.bytes_from_decade(), 0u);
}

TEST_F(PlayerNodeTest, NativeModeShowsNoStorageShare) {
    PlayerOptions o;
    o.tracker_url = fake_tracker();
    o.sink = {.kind = SinkKind::fake};
    o.duration = 1500ms;
    ASSERT_EQ(run(o), kExitOk) << read_all(messages_);
    EXPECT_FALSE(node_->snapshot().decade_share);
    EXPECT_EQ(read_all(status_).find("| decade"), std::string::npos);
}

TEST_F(PlayerNodeTest, StartupFailuresReturnAnExitCodeAtOnce) {
    std::string why;
    PlayerOptions bad_report;
    bad_report.sink = {.kind = SinkKind::fake};
    bad_report.report_path = "/nonexistent-dir/x/r.jsonl";
    net::PlayerNode node2(io_,
                          {.options = bad_report, .status_out = status_, .message_out = messages_});
    EXPECT_EQ(node2.start([](int) {}, why), kExitIo);
    EXPECT_NE(why.find("report"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::player
