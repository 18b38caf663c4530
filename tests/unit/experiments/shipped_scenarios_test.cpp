// Every scenario shipped in experiments/scenarios/ parses, validates and keeps the
// draft's equal-supply rule.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "experiments/core/scenario.hpp"
#include "experiments/core/schedule.hpp"

namespace p2pls::experiments {
namespace {

Scenario load(const std::string& name) {
    const std::string path = std::string(P2PLS_SCENARIO_DIR) + "/" + name;
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    auto r = parse_scenario(text.str(), path);
    if (auto* e = std::get_if<ParseError>(&r)) {
        ADD_FAILURE() << e->message;
        return {};
    }
    return std::get<Scenario>(r);
}

TEST(TestbedScenarios, EveryShippedScenarioIsValidWithEqualSupply) {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(P2PLS_SCENARIO_DIR)) {
        if (entry.path().extension() != ".toml") {
            continue;
        }
        ++count;
        const Scenario s = load(entry.path().filename().string());
        const Supply supply = supply_of(s);
        EXPECT_EQ(supply.native_peers_bps, supply.decade_servers_bps) << entry.path();
        EXPECT_FALSE(make_schedule(s).empty()) << entry.path();
    }
    EXPECT_GE(count, 5u);
}

TEST(TestbedScenarios, DraftFlashCrowdComparesBothModes) {
    const Scenario s = load("draft-flash-crowd.toml");
    EXPECT_EQ(s.modes.size(), 2u);
    EXPECT_EQ(s.arrival, Arrival::flash_crowd);
    EXPECT_EQ(s.decade_servers.size(), 4u);
    const Scenario smoke = load("smoke.toml");
    EXPECT_EQ(smoke.peers, 5u);
    EXPECT_EQ(smoke.duration_s, 15);
    EXPECT_EQ(load("object-size-sweep.toml").sweep_values.size(), 4u);
    EXPECT_EQ(load("slots-sweep.toml").sweep_parameter, "decade.slots");
    EXPECT_GT(load("churn.toml").churn.fraction, 0);
}

}  // namespace
}  // namespace p2pls::experiments
