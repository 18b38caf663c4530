#include "experiments/core/seed_summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace p2pls::experiments {
namespace {

RunSummary run(std::string label, Mode mode, double startup_p50, double freezes,
               double miss_rate = 0) {
    RunSummary s;
    s.label = std::move(label);
    s.mode = mode;
    s.peers = 10;
    s.sessions = 10;
    s.reported = 10;
    s.started = startup_p50 >= 0 ? 10 : 0;
    s.startup_p50_s = startup_p50;
    s.startup_p95_s = startup_p50 < 0 ? -1 : startup_p50 * 2;
    s.freezes_per_peer = freezes;
    s.miss_rate = miss_rate;
    s.upload_media_bytes = mode == Mode::native ? 4'000'000 : 0;
    s.control_overhead = 0.02;
    s.supply_bps = 1000;
    return s;
}

SeedResult seed(std::uint64_t n, std::vector<RunSummary> runs, bool complete = true) {
    return {.seed = n, .complete = complete, .runs = std::move(runs)};
}

TEST(TestbedSeedSummary, SpreadOfOddEvenAndNoValues) {
    const Spread even = spread_of({4, 1, 3, 2});
    EXPECT_EQ(even.count, 4u);
    EXPECT_DOUBLE_EQ(even.median, 2.5);  // the mean of the two middle values
    EXPECT_DOUBLE_EQ(even.min, 1);
    EXPECT_DOUBLE_EQ(even.max, 4);
    const Spread odd = spread_of({0.5, 0.2, 0.3});
    EXPECT_DOUBLE_EQ(odd.median, 0.3);
    EXPECT_DOUBLE_EQ(odd.min, 0.2);
    EXPECT_DOUBLE_EQ(odd.max, 0.5);
    const Spread two = spread_of({7, 1});
    EXPECT_DOUBLE_EQ(two.median, 4);
    const Spread none = spread_of({});
    EXPECT_EQ(none.count, 0u);
    EXPECT_EQ(none.median, -1);
}

// Three seeds where the median of the per-seed ratios (0.3) and the ratio of the medians
// (1.8 / 2 = 0.9) disagree: the claim is judged on the former.
std::vector<SeedResult> three_seeds() {
    return {
        seed(7, {run("native", Mode::native, 1, 0), run("decade", Mode::decade, 0.3, 0)}),
        seed(8, {run("native", Mode::native, 2, 2), run("decade", Mode::decade, 1.8, 1)}),
        seed(9, {run("native", Mode::native, 10, 2), run("decade", Mode::decade, 2, 1)}),
    };
}

TEST(TestbedSeedSummary, RatiosArePerSeedThenMedian) {
    const SeedAggregate agg = aggregate_seeds(three_seeds());
    ASSERT_EQ(agg.runs.size(), 2u);
    EXPECT_EQ(agg.runs[0].label, "native");
    EXPECT_DOUBLE_EQ(agg.runs[0].startup_p50_s.median, 2);
    EXPECT_DOUBLE_EQ(agg.runs[1].startup_p50_s.median, 1.8);
    ASSERT_EQ(agg.pairs.size(), 1u);
    const PairSpread& pair = agg.pairs[0];
    EXPECT_EQ(pair.native, 0u);
    EXPECT_EQ(pair.decade, 1u);
    EXPECT_EQ(pair.startup_p50.count, 3u);
    EXPECT_DOUBLE_EQ(pair.startup_p50.median, 0.3);  // of {0.3, 0.9, 0.2}
    EXPECT_DOUBLE_EQ(pair.startup_p50.min, 0.2);
    EXPECT_DOUBLE_EQ(pair.startup_p50.max, 0.9);
    // Native froze 0 times on seed 7: no ratio there; 0.5 on the two others.
    EXPECT_EQ(pair.freezes.count, 2u);
    EXPECT_DOUBLE_EQ(pair.freezes.median, 0.5);
}

TEST(TestbedSeedSummary, ClaimsHoldOnTheMedianAndCountTheSeeds) {
    const SeedAggregate agg = aggregate_seeds(three_seeds());
    const PairSpread& pair = agg.pairs[0];
    ASSERT_EQ(pair.on_median.size(), 5u);
    ASSERT_EQ(pair.per_seed.size(), 3u);
    EXPECT_EQ(pair.on_median[0].claim, Claim::faster_startup);
    EXPECT_EQ(pair.on_median[0].verdict, Verdict::holds);
    EXPECT_EQ(pair.held[0], 2u);  // seeds 7 and 9; seed 8's ratio is 0.9
    // Freezes: median native 2, DECADE 1 (<= 2 / 1.4): holds; on every seed (seed 7 is 0, 0).
    EXPECT_EQ(pair.on_median[1].verdict, Verdict::holds);
    EXPECT_EQ(pair.held[1], 3u);

    const std::string md = seeds_markdown(Scenario{}, agg);
    EXPECT_NE(md.find("**holds (2/3 seeds)**"), std::string::npos) << md;
    EXPECT_NE(md.find("(x0.30 [0.20–0.90])"), std::string::npos) << md;
    EXPECT_NE(md.find("| startup delay p50 | 2.0 s [1.0–10.0] | 1.8 s [0.3–2.0] |"),
              std::string::npos)
        << md;
    // The freezes ratio exists on two of the three seeds, and says so.
    EXPECT_NE(md.find("0.50 [0.50–0.50] (2/3 seeds)"), std::string::npos) << md;
    EXPECT_NE(md.find("| 8 | decade | 1.8 s | 1.00 | 0.000 % | 2.00 % | (b) (c) (d) (e) |"),
              std::string::npos)
        << md;
    EXPECT_NE(md.find("seeds 7, 8, 9"), std::string::npos);
}

TEST(TestbedSeedSummary, AClaimThatFailsOnTheMedianIsReportedSo) {
    // DECADE misses 0.03 % on two seeds of three: the median fails though one seed held.
    std::vector<SeedResult> seeds = three_seeds();
    seeds[0].runs[1].miss_rate = 0.0003;
    seeds[1].runs[1].miss_rate = 0.0004;
    const SeedAggregate agg = aggregate_seeds(seeds);
    EXPECT_EQ(agg.pairs[0].on_median[2].claim, Claim::low_miss_rate);
    EXPECT_EQ(agg.pairs[0].on_median[2].verdict, Verdict::does_not_hold);
    EXPECT_EQ(agg.pairs[0].held[2], 1u);
    const auto lines = seeds_claim_lines(agg, agg.pairs[0]);
    EXPECT_EQ(lines[2].verdict, "does not hold (1/3 seeds)");
    EXPECT_EQ(lines[2].decade, "0.030 % [0.000–0.040]");
    EXPECT_NE(seeds_claims_text(agg).find("does not hold (1/3 seeds)"), std::string::npos);
}

TEST(TestbedSeedSummary, AnInterruptedSeedIsLeftOut) {
    std::vector<SeedResult> seeds = three_seeds();
    seeds.push_back(
        seed(10, {run("native", Mode::native, 100, 50), run("decade", Mode::decade, 1, 0)}, false));
    const SeedAggregate agg = aggregate_seeds(seeds);
    EXPECT_EQ(agg.seeds.size(), 3u);
    ASSERT_EQ(agg.left_out.size(), 1u);
    EXPECT_EQ(agg.left_out[0], 10u);
    EXPECT_DOUBLE_EQ(agg.runs[0].startup_p50_s.max, 10);  // not seed 10's 100
    EXPECT_NE(seeds_markdown(Scenario{}, agg).find("interrupted, so left out"), std::string::npos);
    // The per-seed CSV still has it, marked.
    EXPECT_NE(per_seed_csv(seeds).find("\n10,0,native,"), std::string::npos);

    // Interrupted during the first seed: nothing to aggregate, and that is said.
    const SeedAggregate none = aggregate_seeds({seeds.back()});
    EXPECT_TRUE(none.seeds.empty());
    EXPECT_TRUE(none.runs.empty());
    EXPECT_NE(seeds_markdown(Scenario{}, none).find("no seed finished"), std::string::npos);
    EXPECT_EQ(seeds_table_text(none), "no seed finished\n");
}

TEST(TestbedSeedSummary, AModeMissingOnEverySeedIsNotMeasured) {
    std::vector<SeedResult> seeds = three_seeds();
    for (auto& s : seeds) {
        s.runs[1].available = false;
        s.runs[1].note = "p2pls-peer has no DECADE mode";
    }
    const SeedAggregate agg = aggregate_seeds(seeds);
    EXPECT_EQ(agg.runs[1].measured, 0u);
    EXPECT_EQ(agg.runs[1].notes.size(), 3u);
    for (const auto& c : agg.pairs[0].on_median) {
        EXPECT_EQ(c.verdict, Verdict::not_measured);
    }
    const auto lines = seeds_claim_lines(agg, agg.pairs[0]);
    EXPECT_EQ(lines[0].verdict, "not measured");
    EXPECT_EQ(lines[0].decade, "-");
    const std::string table = seeds_table_text(agg);
    EXPECT_NE(table.find("not available in this build"), std::string::npos) << table;
    EXPECT_NE(seeds_markdown(Scenario{}, agg).find("seed 8: p2pls-peer has no DECADE mode"),
              std::string::npos);
}

TEST(TestbedSeedSummary, StartupCountsOnlySeedsWhereSomebodyPlayed) {
    std::vector<SeedResult> seeds = three_seeds();
    seeds[1].runs[1].startup_p50_s = -1;
    seeds[1].runs[1].startup_p95_s = -1;
    const SeedAggregate agg = aggregate_seeds(seeds);
    EXPECT_EQ(agg.runs[1].measured, 3u);
    EXPECT_EQ(agg.runs[1].startup_p50_s.count, 2u);
    EXPECT_DOUBLE_EQ(agg.runs[1].startup_p50_s.median, 1.15);  // {0.3, 2}
    EXPECT_NE(seeds_table_text(agg).find("1.1 s [0.3–2.0] (2/3 seeds)"), std::string::npos)
        << seeds_table_text(agg);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

TEST(TestbedSeedSummary, CsvFilesLoadAsTables) {
    const auto seeds = three_seeds();
    const SeedAggregate agg = aggregate_seeds(seeds);
    const auto commas = [](const std::string& line) {
        return std::count(line.begin(), line.end(), ',');
    };

    const auto top = lines_of(seeds_csv(agg));
    ASSERT_EQ(top.size(), 3u);  // header, native, decade
    EXPECT_EQ(top[0].rfind("run,mode,seeds,measured,", 0), 0u);
    EXPECT_NE(top[0].find(",startup_p50_s_median,startup_p50_s_min,startup_p50_s_max,"
                          "startup_p50_s_n,"),
              std::string::npos);
    EXPECT_EQ(commas(top[0]), commas(top[1]));
    EXPECT_EQ(commas(top[0]), commas(top[2]));
    EXPECT_NE(top[1].find(",2,1,10,3,"), std::string::npos) << top[1];  // startup p50 native
    EXPECT_NE(top[1].find(",,,,0"), std::string::npos);                 // CPU time unknown: empty

    const auto per_seed = lines_of(per_seed_csv(seeds));
    ASSERT_EQ(per_seed.size(), 1u + 3 * 2);
    EXPECT_EQ(per_seed[0].rfind("seed,complete,run,mode,", 0), 0u);
    EXPECT_EQ(per_seed[1].rfind("7,1,native,native,", 0), 0u);
    for (const auto& line : per_seed) {
        EXPECT_EQ(commas(line), commas(per_seed[0])) << line;
    }
}

TEST(TestbedSeedSummary, PlotsPoolSessionsAndShowEverySeed) {
    PlotSeries a;
    a.label = "native";
    a.reported = 2;
    a.startup_s = {1, 2};
    a.freezes = {0, 1};
    PlotSeries b = a;
    b.label = "decade";
    b.startup_s = {0.5};
    const auto pooled = pool_series({{a, b}, {a}});
    ASSERT_EQ(pooled.size(), 2u);
    EXPECT_EQ(pooled[0].label, "native");
    EXPECT_EQ(pooled[0].reported, 4u);
    EXPECT_EQ(pooled[0].startup_s.size(), 4u);
    EXPECT_EQ(pooled[1].startup_s.size(), 1u);

    const SeedAggregate agg = aggregate_seeds(three_seeds());
    const auto points = lines_of(seeds_plot_data(agg));
    EXPECT_EQ(points.size(), 1u + 3 * 2);  // a comment, one line per (run, seed)
    EXPECT_EQ(points[1], "-0.3000 0 7 1.0000 0.0000 0.0000");
    const auto bars = lines_of(seeds_spread_data(agg));
    ASSERT_EQ(bars.size(), 3u);
    EXPECT_EQ(bars[1].rfind("0.1500 0 2.0000 1.0000 10.0000 2.0000 0.0000 2.0000", 0), 0u)
        << bars[1];
    std::vector<std::string> pngs;
    const std::string script = seeds_gnuplot_script(agg, "it's", &pngs);
    EXPECT_EQ(pngs, std::vector<std::string>{"seeds.png"});
    EXPECT_NE(script.find("set xtics rotate by 30 right ('native' 0, 'decade' 1)"),
              std::string::npos)
        << script;
    EXPECT_NE(script.find("'seeds-spread.dat' using 1:3:4:5 with yerrorbars"), std::string::npos);
    EXPECT_NE(script.find("its: 3 seeds"), std::string::npos);

    // A seed where nobody played has no startup point (NaN), and a panel with no value
    // at all says so instead of stopping gnuplot.
    std::vector<SeedResult> silent = three_seeds();
    for (auto& s : silent) {
        for (auto& r : s.runs) {
            r.startup_p50_s = -1;
        }
    }
    const SeedAggregate none = aggregate_seeds(silent);
    EXPECT_NE(seeds_plot_data(none).find(" NaN "), std::string::npos);
    EXPECT_NE(seeds_gnuplot_script(none, "x", nullptr).find("'no data'"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::experiments
