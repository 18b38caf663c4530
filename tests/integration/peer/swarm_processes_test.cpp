// Real processes over loopback: p2pls-tracker + p2pls-source + 10 p2pls-peer for 30 s.
// Every peer starts, plays without a miss, and the reports add up: what all peers
// uploaded is what all peers downloaded from peers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "p2pls/report.pb.h"
#include "tests/integration/peer/last_report.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::bin_path;
using testing::ChildProcess;
using testing::last_report;
using testing::ServerProcess;

// The run's folder: logs, port files, reports; kept when the test failed.
class PeerProcesses : public ::testing::Test {
  protected:
    void TearDown() override {
        if (HasFailure()) {
            tmp_.keep();
        }
    }
    testing::TempDir tmp_{"p2pls-peer-swarm"};
};

TEST_F(PeerProcesses, TenPeersThirtySecondsNoMissesAndTheBooksBalance) {
    const fs::path dir = tmp_.path();

    ServerProcess tracker(bin_path("p2pls-tracker"), dir / "tracker.port",
                          {.log_file = dir / "tracker.log"});
    ASSERT_TRUE(tracker.start({"--interval", "2"})) << "tracker did not start";
    const std::string tracker_url = tracker.url();

    ServerProcess source(bin_path("p2pls-source"), dir / "source.port",
                         {.log_file = dir / "source.log"});
    ASSERT_TRUE(
        source.start({"--channel", "itest", "--tracker", tracker_url, "--key",
                      (dir / "itest.key").string(), "--upload-limit", "250k", "--bitrate", "500"}))
        << "source did not start";
    std::this_thread::sleep_for(3s);  // a few chunks exist before the crowd (not an assertion)

    constexpr int kPeers = 10;
    std::vector<ChildProcess> peers;
    for (int i = 0; i < kPeers; ++i) {
        const std::string n = std::to_string(i);
        peers.emplace_back(
            std::vector<std::string>{bin_path("p2pls-peer"), "--tracker", tracker_url, "--channel",
                                     "itest", "--peer-id", "itest-" + n, "--report",
                                     (dir / ("r" + n + ".jsonl")).string(), "--upload-limit",
                                     "750kbit", "--duration", "30"},
            testing::ChildOptions{.log_file = dir / ("peer" + n + ".log")});
        ASSERT_TRUE(peers.back().started());
    }
    for (auto& p : peers) {
        const auto code = p.wait(60s);
        ASSERT_TRUE(code.has_value()) << "a peer did not leave after --duration";
        EXPECT_EQ(*code, 0);
    }

    std::uint64_t uploaded = 0, from_peers = 0, from_source = 0;
    for (int i = 0; i < kPeers; ++i) {
        const auto r = last_report(dir / ("r" + std::to_string(i) + ".jsonl"));
        ASSERT_TRUE(r.has_value()) << "peer " << i << " wrote no report";
        SCOPED_TRACE(r->peer_id());
        EXPECT_TRUE(r->final());
        EXPECT_GE(r->startup_delay_s(), 0.0) << "never started";
        EXPECT_GT(r->chunks_due(), 10u);
        EXPECT_EQ(r->chunks_missed(), 0u);
        EXPECT_EQ(r->chunks_rejected(), 0u);
        uploaded += r->upload_media_bytes();
        from_peers += r->bytes_from_peers();
        from_source += r->bytes_from_source();
    }
    EXPECT_GT(from_source, 0u);
    // Every byte one peer uploads another downloads, up to frames in flight at the end
    // (at most a few chunks per peer).
    const double slack = 0.05 * static_cast<double>(std::max(uploaded, from_peers)) + 8 * 90'000.0;
    EXPECT_NEAR(static_cast<double>(uploaded), static_cast<double>(from_peers), slack);

    source.stop(SIGTERM, 5s);
    tracker.stop(SIGTERM, 5s);
}

}  // namespace
}  // namespace p2pls
