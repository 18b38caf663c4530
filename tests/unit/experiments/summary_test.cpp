#include "experiments/core/summary.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "common/core/proto_json.hpp"
#include "experiments/core/progress.hpp"

namespace p2pls::experiments {
namespace {

report::QoeReport make(double startup, std::uint64_t due, std::uint64_t missed,
                       std::uint32_t freezes, std::uint64_t up_bytes, double elapsed) {
    report::QoeReport r;
    r.set_startup_delay_s(startup);
    r.set_chunks_due(due);
    r.set_chunks_missed(missed);
    r.set_miss_rate(due == 0 ? 0 : static_cast<double>(missed) / static_cast<double>(due));
    r.set_freezes(freezes);
    r.set_stalled_s(freezes * 0.5);
    r.set_upload_media_bytes(up_bytes);
    r.set_upload_control_bytes(100);
    r.set_download_control_bytes(100);
    r.set_download_media_bytes(10'000);
    r.set_bytes_from_peers(6'000);
    r.set_bytes_from_source(4'000);
    r.set_elapsed_s(elapsed);
    r.set_final(true);
    return r;
}

SessionRecord record(std::uint32_t peer, report::QoeReport r) {
    return {.peer = peer, .session = 0, .reported = true, .final = r.final(), .last = r};
}

RunResult native_run() {
    RunResult run;
    run.label = "native";
    run.peers = 4;
    run.supply_bps = 4000;
    run.sessions = {record(0, make(2, 100, 0, 0, 125'000, 10)),  // 100 kbit/s
                    record(1, make(4, 100, 2, 2, 0, 10)),
                    record(2, make(-1, 0, 0, 0, 0, 10)),  // never started
                    {.peer = 3, .session = 0, .reported = false, .final = false, .last = {}}};
    return run;
}

TEST(TestbedSummary, PercentileInterpolates) {
    EXPECT_EQ(percentile({}, 50), -1);
    EXPECT_DOUBLE_EQ(percentile({5}, 95), 5);
    EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 100), 5);
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 0), 1);
}

TEST(TestbedSummary, AggregatesSessionsThatReported) {
    const RunSummary s = summarize(native_run(), 50);
    EXPECT_EQ(s.sessions, 4u);
    EXPECT_EQ(s.reported, 3u);
    EXPECT_EQ(s.final_reports, 3u);
    EXPECT_EQ(s.started, 2u);
    EXPECT_DOUBLE_EQ(s.startup_p50_s, 3);
    EXPECT_DOUBLE_EQ(s.startup_p95_s, 3.9);
    EXPECT_EQ(s.chunks_due, 200u);
    EXPECT_EQ(s.chunks_missed, 2u);
    EXPECT_DOUBLE_EQ(s.miss_rate, 0.01);
    EXPECT_DOUBLE_EQ(s.freezes_per_peer, 2.0 / 3);
    EXPECT_DOUBLE_EQ(s.stalled_total_s, 1.0);
    EXPECT_DOUBLE_EQ(s.upload_kbps_mean, 100.0 / 3);
    EXPECT_DOUBLE_EQ(s.upload_over_stream, 1.0 / 3);  // one peer above 50 kbit/s
    EXPECT_EQ(s.bytes_from_peers, 18'000u);
    EXPECT_DOUBLE_EQ(s.control_overhead, 600.0 / 30'000);
}

TEST(TestbedSummary, UnavailableModeIsReportedNotInvented) {
    RunResult decade;
    decade.label = "decade";
    decade.mode = Mode::decade;
    decade.available = false;
    decade.unavailable = "p2pls-peer has no DECADE mode";
    const std::vector<RunSummary> runs = {summarize(native_run(), 50), summarize(decade, 50)};
    Scenario scenario;
    scenario.name = "x";
    scenario.peers = 4;
    scenario.peer_upload_bps = 1000;
    scenario.decade_servers = {{.region = "", .egress_bps = 0}};
    const std::string md = summary_markdown(scenario, runs);
    EXPECT_NE(md.find("not available in this build"), std::string::npos);
    EXPECT_NE(md.find("p2pls-peer has no DECADE mode"), std::string::npos);
    EXPECT_NE(md.find("| decade / native | - | - |"), std::string::npos);
    EXPECT_NE(md.find("native N x Bu = 4 x 0.01 Mbit/s = 0.03 Mbit/s"), std::string::npos);
    EXPECT_NE(md.find("35-40 s"), std::string::npos);  // the draft's numbers
    // No DECADE figures: every claim says so rather than holding or failing.
    EXPECT_NE(md.find("| (a) DECADE starts faster (startup p50) | 3.0 s | - |"), std::string::npos)
        << md;
    EXPECT_EQ(md.find("**holds**"), std::string::npos);
    EXPECT_NE(md.find("**not measured**"), std::string::npos);

    const std::string csv = summary_csv(runs);
    std::istringstream in(csv);
    std::string header;
    std::string native;
    std::string decade_row;
    std::getline(in, header);
    std::getline(in, native);
    std::getline(in, decade_row);
    const auto columns = [](const std::string& line) {
        return std::count(line.begin(), line.end(), ',');
    };
    EXPECT_EQ(columns(header), columns(native));
    EXPECT_EQ(columns(header), columns(decade_row));
    EXPECT_EQ(native.rfind("native,native,1,", 0), 0u);
    EXPECT_EQ(decade_row.rfind("decade,decade,0,", 0), 0u);
    EXPECT_NE(summary_table_text(runs).find("not available in this build"), std::string::npos);
    EXPECT_NE(ratios_text(runs).find("no ratios: p2pls-peer has no DECADE mode"),
              std::string::npos);
}

TEST(TestbedSummary, RatiosCompareDecadeWithNative) {
    RunResult decade = native_run();
    decade.label = "decade";
    decade.mode = Mode::decade;
    for (auto& session : decade.sessions) {
        session.last.set_startup_delay_s(
            session.last.startup_delay_s() >= 0 ? session.last.startup_delay_s() / 2 : -1);
    }
    Scenario scenario;
    scenario.name = "x";
    const std::string md =
        summary_markdown(scenario, {summarize(native_run(), 50), summarize(decade, 50)});
    EXPECT_NE(md.find("| decade / native | 0.50 | 0.50 | 1.00 |"), std::string::npos) << md;
    // Half of native's startup is not the draft's third.
    EXPECT_NE(md.find("| (a) DECADE starts faster (startup p50) | 3.0 s | 1.5 s (x0.50) |"),
              std::string::npos)
        << md;
    EXPECT_NE(md.find("DECADE/native <= 0.36 | **does not hold** |"), std::string::npos);
    const std::string note = ratios_text({summarize(native_run(), 50), summarize(decade, 50)});
    EXPECT_NE(note.find("startup p50 x0.50"), std::string::npos) << note;
    EXPECT_NE(note.find("about 0.3"), std::string::npos);
}

TEST(TestbedSummary, LastReportSkipsABrokenTail) {
    report::QoeReport a;
    a.set_peer_id("p");
    a.set_elapsed_s(1);
    report::QoeReport b = a;
    b.set_elapsed_s(2);
    const std::string text = to_json(a) + "\n" + to_json(b) + "\n{\"peer_id\": \"p\", \"ela";
    std::size_t errors = 0;
    const auto last = last_report(text, &errors);
    ASSERT_TRUE(last);
    EXPECT_DOUBLE_EQ(last->elapsed_s(), 2);
    EXPECT_EQ(errors, 1u);
    EXPECT_FALSE(last_report(""));
    EXPECT_FALSE(last_report("\n\n garbage \n{}x\n"));
    EXPECT_FALSE(last_report(std::string(100'000, 'x')));
}

TEST(TestbedSummary, PlotsDrawEveryRunWithData) {
    RunResult empty;
    empty.label = "decade k=4";
    const std::vector<PlotSeries> series = {plot_series(native_run()), plot_series(empty)};
    EXPECT_EQ(series[0].startup_s.size(), 2u);
    EXPECT_EQ(series[0].upload_kbps.size(), 3u);
    std::vector<std::string> pngs;
    const std::string script = gnuplot_script(series, "it's a test", &pngs);
    EXPECT_EQ(pngs.size(), 4u);
    EXPECT_NE(script.find("'0-startup.dat'"), std::string::npos);
    EXPECT_EQ(script.find("'1-startup.dat'"), std::string::npos);  // no data: not plotted
    EXPECT_NE(script.find("its a test"), std::string::npos);
    EXPECT_EQ(cdf_data({3, 1}), "1.0000 0.5000\n3.0000 1.0000\n");
    EXPECT_EQ(cdf_data({3, 1}, 4), "1.0000 0.2500\n3.0000 0.5000\n");
    EXPECT_EQ(series[0].reported, 3u);
    EXPECT_EQ(slug("decade k=4"), "decade-k4");
    EXPECT_EQ(slug("../x"), "..-x");
}

TEST(TestbedSummary, ProgressLineShowsCounts) {
    const std::string line = progress_line({.run = "native",
                                            .elapsed_s = 12,
                                            .duration_s = 60,
                                            .joined = 20,
                                            .online = 19,
                                            .playing = 18,
                                            .chunks_missed = 3,
                                            .chunks_due = 300,
                                            .failed = 1});
    EXPECT_NE(line.find("12.0/60 s"), std::string::npos) << line;
    EXPECT_NE(line.find("playing 18"), std::string::npos);
    EXPECT_NE(line.find("1.00 %"), std::string::npos);
    EXPECT_NE(line.find("failed 1"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::experiments
