#include "experiments/core/scenario.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p2pls::experiments {
namespace {

constexpr const char* kMinimal = R"(
name = "t"
duration_s = 30
modes = ["native", "decade"]
[peers]
count = 10
upload = "100k"
[[decade.servers]]
region = "default"
)";

Scenario ok(const std::string& text) {
    auto r = parse_scenario(text, "test.toml");
    if (auto* e = std::get_if<ParseError>(&r)) {
        ADD_FAILURE() << e->message;
        return {};
    }
    return std::get<Scenario>(r);
}

std::string error_of(const std::string& text) {
    auto r = parse_scenario(text, "test.toml");
    if (auto* e = std::get_if<ParseError>(&r)) {
        return e->message;
    }
    return "";
}

TEST(TestbedScenario, MinimalScenarioGetsDefaultsAndEqualSupply) {
    const Scenario s = ok(kMinimal);
    EXPECT_EQ(s.name, "t");
    EXPECT_EQ(s.peers, 10u);
    EXPECT_EQ(s.peer_upload_bps, 100'000u);
    EXPECT_EQ(s.modes.size(), 2u);
    EXPECT_EQ(s.arrival, Arrival::flash_crowd);
    EXPECT_EQ(s.object_chunks, 1u);
    EXPECT_EQ(s.slots, 4u);
    const Supply supply = supply_of(s);
    EXPECT_EQ(supply.native_peers_bps, 1'000'000u);
    EXPECT_EQ(supply.decade_servers_bps, 1'000'000u);
}

TEST(TestbedScenario, EgressIsSplitOverServersAndTotalsMatch) {
    const Scenario s = ok(R"(
name = "t"
[peers]
count = 9
upload = 1000
[network]
regions = [{name = "eu", share = 2}, {name = "us", share = 1}]
[[decade.servers]]
region = "eu"
[[decade.servers]]
region = "us"
[[decade.servers]]
region = "us"
)");
    EXPECT_EQ(server_egress_bps(s, 0), 3000u);
    EXPECT_EQ(supply_of(s).decade_servers_bps, 9000u);
}

TEST(TestbedScenario, RatesAreByteRatesOrIntegers) {
    // The string syntax is common/core/byte_rate.hpp's (tested there).
    const auto with_upload = [](const std::string& upload) {
        return "name = \"t\"\nmodes = [\"native\"]\n[peers]\ncount = 2\nupload = " + upload + "\n";
    };
    EXPECT_EQ(ok(with_upload("\"4Mbit\"")).peer_upload_bps, 500'000u);
    EXPECT_EQ(ok(with_upload("\"1.5M\"")).peer_upload_bps, 1'500'000u);
    EXPECT_EQ(ok(with_upload("42")).peer_upload_bps, 42u);
    const std::string e = error_of(with_upload("\"lots\""));
    EXPECT_NE(e.find("peers.upload"), std::string::npos) << e;
    EXPECT_NE(e.find("4Mbit"), std::string::npos) << e;
}

struct BadCase {
    const char* what;
    std::string text;
    const char* expect;  // substring of the message
};

TEST(TestbedScenario, InvalidScenariosNameTheProblem) {
    // Top-level keys go before the first table header: T(top, tables).
    const auto T = [](const std::string& top, const std::string& tables) {
        return "name = \"t\"\n" + top + "[peers]\ncount = 4\nupload = 1000\n" + tables;
    };
    const std::string native = "modes = [\"native\"]\n";
    const BadCase cases[] = {
        {"syntax", "name = ", "test.toml:1"},
        {"unknown top key", T("colour = 1\n", ""), "unknown key \"colour\""},
        {"unknown peers key", T(native, "colour = 1\n"), "peers: unknown key"},
        {"no name", native + "[peers]\nupload = 1000\n", "name must be set"},
        {"bad name", "name = \"a/b\"\n" + native + "[peers]\nupload = 1\n", "name may hold"},
        {"no Bu", "name = \"t\"\n" + native, "peers.upload"},
        {"decade without servers", T("", ""), "no [[decade.servers]]"},
        {"bad mode", T("modes = [\"p2p\"]\n", ""), "modes"},
        {"twice", T("modes = [\"native\", \"native\"]\n", ""), "twice"},
        {"count type", "name = \"t\"\n" + native + "[peers]\ncount = \"many\"\nupload=1\n",
         "peers.count must be an integer"},
        {"zero peers", "name = \"t\"\n" + native + "[peers]\ncount = 0\nupload=1\n", "peers.count"},
        {"bad rate", "name = \"t\"\n" + native + "[peers]\nupload = \"fast\"\n",
         "peers.upload must be a rate"},
        {"bad arrival", T(native, "arrival = \"x\"\n"), "peers.arrival"},
        {"flash too long", T(native + "duration_s = 10\n", "flash_crowd_s = 20\n"),
         "flash_crowd_s"},
        {"churn range", T(native, "[peers.churn]\nfraction = 2\n"), "peers.churn.fraction"},
        {"mass leave range", T(native, "[peers.mass_leave]\nfraction = -1\nat_s = 5\n"),
         "peers.mass_leave.fraction"},
        {"mass leave after the end",
         T(native + "duration_s = 30\n", "[peers.mass_leave]\nfraction = 0.3\nat_s = 30\n"),
         "peers.mass_leave.at_s must be shorter"},
        {"mass leave key", T(native, "[peers.mass_leave]\nshare = 0.3\n"),
         "peers.mass_leave: unknown key"},
        {"server region unknown",
         T("", "[network]\nregions = [{name = \"eu\"}]\n[[decade.servers]]\nregion = \"us\"\n"),
         "not among network.regions"},
        {"region without server",
         T("",
           "[network]\nregions = [{name = \"eu\"}, {name = \"us\"}]\n"
           "[[decade.servers]]\nregion = \"eu\"\n"),
         "no DECADE server"},
        {"duplicate region", T(native, "[network]\nregions = [{name = \"eu\"}, {name = \"eu\"}]\n"),
         "twice"},
        {"unequal supply", T("", "[decade]\ntotal_egress = 9999\n[[decade.servers]]\n"),
         "unequal supply"},
        {"sweep param", T(native, "[sweep]\nparameter = \"x\"\nvalues = [1]\n"), "sweep.parameter"},
        {"sweep values", T(native, "[sweep]\nparameter = \"decade.slots\"\n"), "sweep.values"},
        {"sweep zero", T(native, "[sweep]\nparameter = \"decade.slots\"\nvalues=[0]\n"),
         "out of range"},
        {"servers not tables", T("", "[decade]\nservers = 3\n"), "array of tables"},
        {"delay to an unknown region",
         T(native,
           "[network]\nregions = [{name = \"eu\"}, {name = \"us\"}]\n"
           "delays = [{between = [\"eu\", \"asia\"], one_way_delay_ms = 5}]\n"),
         "network.delays: region \"asia\" is not among"},
        {"delay to itself",
         T(native,
           "[network]\nregions = [{name = \"eu\"}]\n"
           "delays = [{between = [\"eu\", \"eu\"]}]\n"),
         "with itself"},
        {"delay listed twice",
         T(native,
           "[network]\nregions = [{name = \"eu\"}, {name = \"us\"}]\n"
           "delays = [{between = [\"eu\", \"us\"]}, {between = [\"us\", \"eu\"]}]\n"),
         "us - eu is listed twice"},
        {"delay between one", T(native, "[network]\ndelays = [{between = [\"eu\"]}]\n"),
         "expected two region names"},
        {"delay out of range",
         T(native,
           "[network]\nregions = [{name = \"eu\"}, {name = \"us\"}]\n"
           "delays = [{between = [\"eu\", \"us\"], one_way_delay_ms = 20000}]\n"),
         "network.delays.one_way_delay_ms"},
        {"source region unknown", T(native, "[source]\nregion = \"mars\"\n"), "source.region"},
    };
    for (const auto& c : cases) {
        const std::string message = error_of(c.text);
        EXPECT_NE(message.find(c.expect), std::string::npos)
            << c.what << ": got \"" << message << "\"";
    }
}

TEST(TestbedScenario, TheDelayMatrixAndTheSourcesRegionParse) {
    const Scenario s = ok(R"(
name = "t"
modes = ["native"]
[source]
region = "us"
[peers]
count = 4
upload = 1000
[network]
one_way_delay_ms = 70
regions = [{ name = "eu", one_way_delay_ms = 4 }, { name = "us" }, { name = "asia" }]
delays = [{ between = ["us", "eu"], one_way_delay_ms = 35 }]
)");
    EXPECT_EQ(source_region_index(s), 1u);
    EXPECT_EQ(path_delay_ms(s, 0, 0), 4);
    EXPECT_EQ(path_delay_ms(s, 1, 1), 70);  // a region without its own: the default
    EXPECT_EQ(path_delay_ms(s, 0, 1), 35);
    EXPECT_EQ(path_delay_ms(s, 2, 0), 70);
    // A delay sweep sets every path.
    const Scenario swept = [&] {
        Scenario c = s;
        c.sweep_parameter = "network.one_way_delay_ms";
        return with_sweep_value(c, 12);
    }();
    EXPECT_EQ(path_delay_ms(swept, 0, 1), 12);
    EXPECT_EQ(path_delay_ms(swept, 0, 0), 12);
}

TEST(TestbedScenario, UnequalSupplyCanBeAllowedExplicitly) {
    const Scenario s =
        ok("name = \"t\"\n[peers]\ncount = 4\nupload = 1000\n[decade]\ntotal_egress = 9000\n"
           "allow_unequal_supply = true\n[[decade.servers]]\n");
    EXPECT_EQ(supply_of(s).decade_servers_bps, 9000u);
    EXPECT_EQ(supply_of(s).native_peers_bps, 4000u);
}

TEST(TestbedScenario, SweepValuesApplyToACopy) {
    const Scenario s = ok(std::string(kMinimal) +
                          "[sweep]\nparameter = \"decade.object_chunks\"\nvalues = [1, 4, 8]\n");
    ASSERT_EQ(s.sweep_values.size(), 3u);
    const Scenario k4 = with_sweep_value(s, 4);
    EXPECT_EQ(k4.object_chunks, 4u);
    EXPECT_TRUE(k4.sweep_parameter.empty());
    EXPECT_EQ(s.object_chunks, 1u);
    // Sweeping N keeps the DECADE total at N x Bu.
    Scenario n = s;
    n.sweep_parameter = "peers.count";
    const Scenario n20 = with_sweep_value(n, 20);
    EXPECT_EQ(supply_of(n20).decade_servers_bps, supply_of(n20).native_peers_bps);
    EXPECT_FALSE(validate(n20).has_value());
}

TEST(TestbedScenario, GarbageNeverCrashes) {
    const std::string junk[] = {"",
                                "\x01\x02\x03",
                                "[[[",
                                "a = [",
                                std::string(10'000, '['),
                                "name = \"t\"\n[peers]\ncount = 99999999999999999999\n",
                                "name = 1\n",
                                "modes = []\n",
                                "[sweep]\nvalues = \"x\"\n"};
    for (const auto& j : junk) {
        auto r = parse_scenario(j);
        EXPECT_TRUE(std::holds_alternative<ParseError>(r));
    }
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse_scenario(std::string(1'000'001, ' '))));
}

}  // namespace
}  // namespace p2pls::experiments
