// The testbed's --sim path: a scenario on netsim with the real engines gives a RunResult
// the summary can use, deterministically by seed.
#include "experiments/sim/sim_runner.hpp"

#include <gtest/gtest.h>

namespace p2pls::experiments {
namespace {

Scenario small() {
    Scenario s;
    s.name = "sim";
    s.peers = 12;
    s.peer_upload_bps = 75'000;
    s.source_upload_bps = 150'000;
    s.bitrate_kbps = 300;
    s.duration_s = 40;
    s.flash_crowd_s = 5;
    s.one_way_delay_ms = 20;
    s.decade_servers = {{.region = "", .egress_bps = 0}};
    return s;
}

TEST(TestbedSim, NativeRunReportsEverySessionAndPlays) {
    const Scenario s = small();
    const RunResult run = run_sim(s, Mode::native, "native", {}, {});
    ASSERT_TRUE(run.available);
    EXPECT_TRUE(run.failure.empty());
    ASSERT_EQ(run.sessions.size(), 12u);
    const RunSummary summary = summarize(run, s.bitrate_kbps);
    EXPECT_EQ(summary.reported, 12u);
    EXPECT_EQ(summary.final_reports, 12u);
    EXPECT_GE(summary.started, 1u);  // how many start is the engine's business, not the runner's
    EXPECT_GT(summary.chunks_due, 0u);
    EXPECT_GT(summary.bytes_from_source, 0u);
    EXPECT_EQ(summary.supply_bps, 12u * 75'000u);
}

TEST(TestbedSim, SameSeedSameNumbers) {
    const Scenario s = small();
    const auto a = summarize(run_sim(s, Mode::native, "a", {}, {}), 300);
    const auto b = summarize(run_sim(s, Mode::native, "b", {}, {}), 300);
    EXPECT_EQ(a.startup_p50_s, b.startup_p50_s);
    EXPECT_EQ(a.upload_media_bytes, b.upload_media_bytes);
    EXPECT_EQ(a.chunks_missed, b.chunks_missed);
}

TEST(TestbedSim, ChurnedSessionsKeepTheirReportAtLeaving) {
    Scenario s = small();
    s.churn.fraction = 1.0;
    s.churn.mean_online_s = 10;
    s.churn.mean_offline_s = 3;
    const RunResult run = run_sim(s, Mode::native, "churn", {}, {});
    EXPECT_GT(run.sessions.size(), 12u);  // rejoins are new sessions
    for (const auto& session : run.sessions) {
        EXPECT_TRUE(session.reported);
        EXPECT_LE(session.last.elapsed_s(), s.duration_s + 1);
    }
}

TEST(TestbedSim, DecadePeersUploadNoMediaAndFetchFromTheServers) {
    const Scenario s = small();
    const RunResult run = run_sim(s, Mode::decade, "decade", {}, {});
    ASSERT_TRUE(run.available);
    const RunSummary summary = summarize(run, s.bitrate_kbps);
    EXPECT_EQ(summary.reported, 12u);
    EXPECT_EQ(summary.upload_media_bytes, 0u);  // the last mile carries no media
    EXPECT_GT(summary.bytes_from_decade, 0u);
    EXPECT_EQ(summary.supply_bps, 12u * 75'000u);  // the servers' total: N x Bu
}

TEST(TestbedSim, CancelStopsEarly) {
    Scenario s = small();
    s.duration_s = 3600;
    int polls = 0;
    const RunResult run = run_sim(s, Mode::native, "x", {}, [&] { return ++polls > 2; });
    EXPECT_EQ(run.failure, "interrupted");
}

}  // namespace
}  // namespace p2pls::experiments
