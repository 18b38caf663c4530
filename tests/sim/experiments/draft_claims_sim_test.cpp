// The shipped draft-flash-crowd.toml on the simulator, over several seeds: the draft's
// claims (a)-(d) hold on each, and DECADE startup p95 stays within 2 s. Seed 2017 is in
// the set: before DECADE peers dialled neighbours on their own server first, a whole
// region of it skipped chunks that holders on other servers had (copies across servers
// were calmed and nobody of the region had copied them), 2.5 % missed and 2.5 freezes
// per peer. Seed 2015 is too: with fetch_ahead at 5 s instead of 7, the early share's
// copies into a region came too late and 10 % missed, 13.9 freezes per peer. The
// signalling claim (e) is not held here: it meets its goal on only some seeds.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "experiments/core/claims.hpp"
#include "experiments/core/scenario.hpp"
#include "experiments/sim/sim_runner.hpp"

namespace p2pls::experiments {
namespace {

Scenario shipped(const std::string& name) {
    const std::string path = std::string(P2PLS_SCENARIO_DIR) + "/" + name;
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = parse_scenario(text.str(), path);
    if (const auto* e = std::get_if<ParseError>(&parsed)) {
        ADD_FAILURE() << path << ": " << e->message;
        return {};
    }
    return std::get<Scenario>(std::move(parsed));
}

class DraftFlashCrowdSim : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(DraftFlashCrowdSim, ClaimsHoldAndDecadeStartupP95IsWithinTwoSeconds) {
    Scenario s = shipped("draft-flash-crowd.toml");
    ASSERT_EQ(s.peers, 30u);
    s.seed = GetParam();
    const RunSummary native = summarize(run_sim(s, Mode::native, "native", {}, {}), s.bitrate_kbps);
    const RunSummary decade = summarize(run_sim(s, Mode::decade, "decade", {}, {}), s.bitrate_kbps);
    ASSERT_EQ(decade.started, s.peers);
    EXPECT_LE(decade.startup_p95_s, 2.0);
    const ModeFigures n = figures_of(&native);
    const ModeFigures d = figures_of(&decade);
    for (const ClaimCheck& c : check_claims(n, d)) {
        if (c.claim == Claim::low_overhead) {
            continue;
        }
        EXPECT_EQ(c.verdict, Verdict::holds)
            << claim_text(c.claim).title << ": native startup " << n.startup_p50_s << " s, freezes "
            << n.freezes_per_peer << ", miss " << n.miss_rate << "; DECADE startup "
            << d.startup_p50_s << " s, freezes " << d.freezes_per_peer << ", miss " << d.miss_rate
            << ", upload " << d.upload_media_bytes;
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DraftFlashCrowdSim, ::testing::Values(2013, 2015, 2017, 2019));

}  // namespace
}  // namespace p2pls::experiments
