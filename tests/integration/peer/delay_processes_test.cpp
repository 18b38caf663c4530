// User-space link delay (this kernel has no netem): a real p2pls-source started
// with --delay-ms holds every message it sends for that long (p2pls-peer shares the same
// PeerNode transport). A raw peer-wire client (tests/support) connects and sends Hello;
// the node's Hello (sent on accept) and its BufferMap (sent on our Hello) must each
// arrive no earlier than the delay after the event that caused them, in that order. Lower bounds
// only: a behavioural check, not a timing performance assertion.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/core/peer_codec.hpp"
#include "p2pls/peer.pb.h"
#include "tests/support/child_process.hpp"
#include "tests/support/wire_client.hpp"

namespace p2pls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::bin_path;
using testing::ChildProcess;
using testing::ServerProcess;

using testing::WireClient;

wire::PeerMessage hello(const std::string& channel) {
    wire::PeerMessage m;
    m.mutable_hello()->set_version(kWireVersion);
    m.mutable_hello()->set_channel(channel);
    m.mutable_hello()->set_peer_id("delay-prober");
    return m;
}

// Each test's folder: logs and port files; kept when the test failed.
class PeerDelay : public ::testing::Test {
  protected:
    void TearDown() override {
        if (HasFailure()) {
            tmp_.keep();
        }
    }
    testing::TempDir tmp_{"p2pls-delay"};
};

// Starts `p2pls-source --delay-ms <delay>` (origin: it has the channel key, and the
// tracker it announces to may be down) and returns its peer port (0: it did not come up).
std::uint16_t start_source(std::optional<ServerProcess>& source, const fs::path& dir,
                           int delay_ms) {
    source.emplace(bin_path("p2pls-source"), dir / "source.port",
                   testing::ChildOptions{.log_file = dir / "source.log"});
    const bool up =
        source->start({"--channel", "delay", "--tracker", "http://127.0.0.1:1", "--key",
                       (dir / "delay.key").string(), "--width", "160", "--height", "120", "--fps",
                       "10", "--bitrate", "100", "--delay-ms", std::to_string(delay_ms)});
    return up ? source->port() : 0;
}

TEST_F(PeerDelay, EveryMessageIsHeldForTheDelayAndOrderIsKept) {
    constexpr auto kDelay = 200ms;
    const fs::path dir = tmp_.path();
    std::optional<ServerProcess> source;
    const std::uint16_t port = start_source(source, dir, static_cast<int>(kDelay.count()));
    ASSERT_NE(port, 0) << "p2pls-source did not start; see " << (dir / "source.log");

    const auto connected_at = Clock::now();
    WireClient client(port);
    ASSERT_TRUE(client.connected());
    client.send(hello("delay"));
    const auto hello_sent_at = Clock::now();

    // The node sends Hello on accept, then BufferMap on our Hello: both held, in order.
    const auto first = client.next(5s);
    const auto first_at = Clock::now();
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->has_hello()) << first->DebugString();
    EXPECT_EQ(first->hello().channel(), "delay");
    EXPECT_TRUE(first->hello().is_source());
    EXPECT_GE(first_at - connected_at, kDelay);

    // Have messages for chunks published meanwhile may come before the BufferMap; they
    // are delayed too and keep their order (increasing seqs).
    std::optional<wire::PeerMessage> next;
    std::optional<std::uint64_t> last_have;
    while ((next = client.next(5s)) && next->has_have()) {
        EXPECT_GE(Clock::now() - connected_at, kDelay);
        for (const auto seq : next->have().seqs()) {
            if (last_have) {
                EXPECT_GT(seq, *last_have);
            }
            last_have = seq;
        }
    }
    const auto map_at = Clock::now();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(next->has_buffer_map()) << next->DebugString();
    EXPECT_GE(map_at - hello_sent_at, kDelay);

    source->stop(SIGTERM, 5s);
}

TEST_F(PeerDelay, OutOfRangeDelayIsRejected) {
    const fs::path dir = tmp_.path();
    ChildProcess peer(
        {bin_path("p2pls-peer"), "--tracker", "http://127.0.0.1:1", "--delay-ms", "10001"},
        {.log_file = dir / "peer.log"});
    ASSERT_TRUE(peer.started());
    const auto status = peer.wait(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(*status, 0);
    const std::string log = peer.output();
    EXPECT_NE(log.find("--delay-ms"), std::string::npos) << log;
}

// Both executables the testbed starts document the flag in --help (the testbed reads its
// capabilities from there).
TEST_F(PeerDelay, PeerAndSourceHelpListTheDelayFlag) {
    const fs::path dir = tmp_.path();
    for (const char* exe : {"p2pls-peer", "p2pls-source"}) {
        ChildProcess child({bin_path(exe), "--help"},
                           {.log_file = dir / (std::string(exe) + ".help")});
        ASSERT_TRUE(child.started()) << exe;
        const auto status = child.wait(10s);
        ASSERT_TRUE(status.has_value()) << exe;
        EXPECT_EQ(*status, 0) << exe;
        const std::string help = child.output();
        EXPECT_NE(help.find("--delay-ms"), std::string::npos) << exe;
        EXPECT_NE(help.find("netem-free link emulation"), std::string::npos) << exe;
    }
}

}  // namespace
}  // namespace p2pls
