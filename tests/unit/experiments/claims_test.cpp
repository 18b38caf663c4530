#include "experiments/core/claims.hpp"

#include <gtest/gtest.h>

namespace p2pls::experiments {
namespace {

// A mode that ran and reported, with the figures the claims read.
ModeFigures ran(double startup_p50_s, double freezes, double miss_rate, double upload_bytes,
                double overhead) {
    return {.measured = true,
            .startup_p50_s = startup_p50_s,
            .freezes_per_peer = freezes,
            .miss_rate = miss_rate,
            .upload_media_bytes = upload_bytes,
            .control_overhead = overhead};
}

Verdict verdict(const std::vector<ClaimCheck>& checks, Claim claim) {
    for (const auto& c : checks) {
        if (c.claim == claim) {
            return c.verdict;
        }
    }
    ADD_FAILURE() << "claim missing";
    return Verdict::not_measured;
}

// The draft's own result: every claim holds.
const ModeFigures kDraftNative = ran(115, 1.4, 0.0002, 5e6, 0.03);
const ModeFigures kDraftDecade = ran(38, 1.0, 0.0001, 0, 0.02);

TEST(TestbedClaims, TheDraftsOwnFiguresHoldEveryClaim) {
    const auto checks = check_claims(kDraftNative, kDraftDecade);
    ASSERT_EQ(checks.size(), 5u);
    for (const auto& c : checks) {
        EXPECT_EQ(c.verdict, Verdict::holds) << claim_text(c.claim).title;
    }
}

TEST(TestbedClaims, EachClaimFailsOnItsOwnFigure) {
    struct Case {
        const char* what;
        ModeFigures native;
        ModeFigures decade;
        Claim fails;
    };
    const Case cases[] = {
        {.what = "DECADE starts at half of native's time, not a third",
         .native = kDraftNative,
         .decade = ran(57.5, 1.0, 0.0001, 0, 0.02),
         .fails = Claim::faster_startup},
        {.what = "DECADE freezes 1.01 per peer against native's 1.4",
         .native = kDraftNative,
         .decade = ran(38, 1.01, 0.0001, 0, 0.02),
         .fails = Claim::fewer_freezes},
        {.what = "native froze, DECADE froze more",
         .native = ran(115, 0, 0.0002, 5e6, 0.03),
         .decade = ran(38, 0.1, 0.0001, 0, 0.02),
         .fails = Claim::fewer_freezes},
        {.what = "DECADE misses 0.03 % of its pieces",
         .native = kDraftNative,
         .decade = ran(38, 1.0, 0.0003, 0, 0.02),
         .fails = Claim::low_miss_rate},
        {.what = "native misses 0.03 % of its pieces",
         .native = ran(115, 1.4, 0.0003, 5e6, 0.03),
         .decade = kDraftDecade,
         .fails = Claim::low_miss_rate},
        {.what = "one DECADE peer uploaded one byte",
         .native = kDraftNative,
         .decade = ran(38, 1.0, 0.0001, 1, 0.02),
         .fails = Claim::no_peer_upload},
        {.what = "DECADE signalling 2.6 %",
         .native = kDraftNative,
         .decade = ran(38, 1.0, 0.0001, 0, 0.026),
         .fails = Claim::low_overhead},
        {.what = "no DECADE peer ever played",
         .native = kDraftNative,
         .decade = ran(-1, 1.0, 0.0001, 0, 0.02),
         .fails = Claim::faster_startup},
    };
    for (const auto& c : cases) {
        const auto checks = check_claims(c.native, c.decade);
        for (const auto& check : checks) {
            EXPECT_EQ(check.verdict,
                      check.claim == c.fails ? Verdict::does_not_hold : Verdict::holds)
                << c.what << ": " << claim_text(check.claim).title;
        }
    }
}

TEST(TestbedClaims, GoalsAreInclusive) {
    // Exactly on each goal: 36/100, 1.4/1.4, 0.02 %, 0 B, 2.5 %.
    const auto checks = check_claims(ran(100, 1.4, 0.0002, 9, 0.1), ran(36, 1.0, 0.0002, 0, 0.025));
    for (const auto& c : checks) {
        EXPECT_EQ(c.verdict, Verdict::holds) << claim_text(c.claim).title;
    }
}

TEST(TestbedClaims, BothModesWithoutFreezesHold) {
    const auto checks = check_claims(ran(100, 0, 0, 9, 0), ran(30, 0, 0, 0, 0));
    EXPECT_EQ(verdict(checks, Claim::fewer_freezes), Verdict::holds);
}

TEST(TestbedClaims, StartupRatioWhenNativeIsZeroOrNeverStarted) {
    // Native started at once: nothing to be faster than, no ratio, the claim fails.
    EXPECT_FALSE(startup_ratio(ran(0, 0, 0, 0, 0), ran(0, 0, 0, 0, 0)));
    EXPECT_EQ(verdict(check_claims(ran(0, 0, 0, 0, 0), ran(0, 0, 0, 0, 0)), Claim::faster_startup),
              Verdict::does_not_hold);
    // Native never played, DECADE did: DECADE is faster, though there is no ratio.
    EXPECT_FALSE(startup_ratio(ran(-1, 0, 0, 0, 0), ran(5, 0, 0, 0, 0)));
    EXPECT_EQ(verdict(check_claims(ran(-1, 0, 0, 0, 0), ran(5, 0, 0, 0, 0)), Claim::faster_startup),
              Verdict::holds);
    ASSERT_TRUE(startup_ratio(ran(10, 0, 0, 0, 0), ran(3, 0, 0, 0, 0)));
    EXPECT_DOUBLE_EQ(*startup_ratio(ran(10, 0, 0, 0, 0), ran(3, 0, 0, 0, 0)), 0.3);
}

TEST(TestbedClaims, TheRatioGivenIsTheOneJudged) {
    // An aggregate passes the median of per-seed ratios, which may differ from the ratio of
    // the medians.
    const ModeFigures native = ran(2, 0, 0, 9, 0);
    const ModeFigures decade = ran(1.8, 0, 0, 0, 0);
    EXPECT_EQ(verdict(check_claims(native, decade), Claim::faster_startup), Verdict::does_not_hold);
    EXPECT_EQ(verdict(check_claims(native, decade, 0.3), Claim::faster_startup), Verdict::holds);
}

TEST(TestbedClaims, AMissingModeIsNotMeasured) {
    const ModeFigures none;
    const auto no_decade = check_claims(kDraftNative, none);
    for (const auto& c : no_decade) {
        EXPECT_EQ(c.verdict, Verdict::not_measured) << claim_text(c.claim).title;
    }
    // (d) and (e) are about DECADE mode alone.
    const auto no_native = check_claims(none, kDraftDecade);
    EXPECT_EQ(verdict(no_native, Claim::faster_startup), Verdict::not_measured);
    EXPECT_EQ(verdict(no_native, Claim::fewer_freezes), Verdict::not_measured);
    EXPECT_EQ(verdict(no_native, Claim::low_miss_rate), Verdict::not_measured);
    EXPECT_EQ(verdict(no_native, Claim::no_peer_upload), Verdict::holds);
    EXPECT_EQ(verdict(no_native, Claim::low_overhead), Verdict::holds);

    RunSummary unavailable;
    unavailable.mode = Mode::decade;
    unavailable.available = false;
    unavailable.reported = 3;
    EXPECT_FALSE(figures_of(&unavailable).measured);
    RunSummary silent;
    silent.reported = 0;
    EXPECT_FALSE(figures_of(&silent).measured);
    EXPECT_FALSE(figures_of(nullptr).measured);
}

RunSummary summary(std::string label, Mode mode, double startup, double freezes,
                   std::uint64_t upload, double overhead) {
    RunSummary s;
    s.label = std::move(label);
    s.mode = mode;
    s.reported = 10;
    s.started = 10;
    s.startup_p50_s = startup;
    s.freezes_per_peer = freezes;
    s.upload_media_bytes = upload;
    s.control_overhead = overhead;
    return s;
}

TEST(TestbedClaims, TheTableShowsFiguresSideBySide) {
    const std::vector<RunSummary> runs = {summary("native", Mode::native, 10, 1.4, 5'000'000, 0.03),
                                          summary("decade", Mode::decade, 5, 1.0, 0, 0.02)};
    const std::string md = claims_markdown(runs);
    EXPECT_NE(md.find("| (a) DECADE starts faster (startup p50) | 10.0 s | 5.0 s (x0.50) | 35-40 s "
                      "vs 110-120 s (x0.3) | DECADE/native <= 0.36 | **does not hold** |"),
              std::string::npos)
        << md;
    EXPECT_NE(md.find("| 5.00 MB | 0 B |"), std::string::npos) << md;
    EXPECT_NE(md.find("DECADE <= native / 1.4, or both 0 | **holds** |"), std::string::npos);
    EXPECT_EQ(md.find("###"), std::string::npos);  // one pair: no headings
    EXPECT_NE(claims_text(runs).find("does not hold"), std::string::npos);
}

TEST(TestbedClaims, AScenarioWithoutDecadeSaysWhatWasNotMeasured) {
    const std::vector<RunSummary> runs = {summary("native", Mode::native, 10, 1, 5, 0.03)};
    const auto lines = claim_lines(&runs[0], nullptr);
    ASSERT_EQ(lines.size(), 5u);
    for (const auto& line : lines) {
        EXPECT_EQ(line.verdict, "not measured");
        EXPECT_EQ(line.decade, "-");
    }
    const auto pairs = claim_pairs(runs);
    ASSERT_EQ(pairs.size(), 1u);
    EXPECT_EQ(pairs[0].native, 0u);
    EXPECT_FALSE(pairs[0].decade);
}

TEST(TestbedClaims, SweepsPairEachDecadeRunWithItsNativeRun) {
    // A sweep over N runs native per value; a k sweep has one native baseline.
    const std::vector<RunSummary> by_n = {
        summary("native N=10", Mode::native, 1, 0, 0, 0),
        summary("native N=20", Mode::native, 1, 0, 0, 0),
        summary("decade N=10", Mode::decade, 1, 0, 0, 0),
        summary("decade N=20", Mode::decade, 1, 0, 0, 0),
    };
    EXPECT_EQ(native_partner(by_n, 2), 0u);
    EXPECT_EQ(native_partner(by_n, 3), 1u);
    const std::vector<RunSummary> by_k = {
        summary("native", Mode::native, 1, 0, 0, 0),
        summary("decade k=1", Mode::decade, 1, 0, 0, 0),
        summary("decade k=4", Mode::decade, 1, 0, 0, 0),
    };
    EXPECT_EQ(native_partner(by_k, 2), 0u);
    const auto pairs = claim_pairs(by_k);
    ASSERT_EQ(pairs.size(), 2u);
    EXPECT_EQ(pairs[1].decade, 2u);
    EXPECT_EQ(pairs[1].native, 0u);
    EXPECT_NE(claims_markdown(by_k).find("### decade k=4 vs native"), std::string::npos);
    EXPECT_FALSE(native_partner({summary("decade", Mode::decade, 1, 0, 0, 0)}, 0));
}

}  // namespace
}  // namespace p2pls::experiments
