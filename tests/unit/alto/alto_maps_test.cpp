#include "alto/core/alto_maps.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace p2pls::alto {
namespace {

constexpr const char* kMaps = R"(
resource_id = "regions"
[pids.east]
ipv4 = ["127.1.0.0/16"]
[pids.west]
ipv4 = ["127.2.0.0/16"]
ipv6 = ["fd00:2::/32"]
[pids.default]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "east"
dst = "west"
routingcost = 35
symmetric = true
[[costs]]
src = "east"
dst = "east"
routingcost = 1.5
)";

AltoMaps parse_ok(const std::string& text) {
    auto parsed = parse_alto_maps(text);
    if (auto* why = std::get_if<std::string>(&parsed)) {
        ADD_FAILURE() << *why;
        return parse_ok(kMaps);
    }
    return std::move(std::get<AltoMaps>(parsed));
}

std::string parse_error(const std::string& text) {
    auto parsed = parse_alto_maps(text);
    if (auto* why = std::get_if<std::string>(&parsed)) {
        return *why;
    }
    ADD_FAILURE() << "parsed:\n" << text;
    return "";
}

TEST(AltoMaps, ReadsPidsCostsAndSymmetricPairs) {
    const auto maps = parse_ok(kMaps);
    EXPECT_EQ(maps.resource_id, "regions");
    ASSERT_EQ(maps.network.pids().size(), 3u);
    const auto east = *maps.network.find("east");
    const auto west = *maps.network.find("west");
    const auto def = *maps.network.find("default");
    EXPECT_EQ(maps.routing.get(east, west), 35.0);
    EXPECT_EQ(maps.routing.get(west, east), 35.0);
    EXPECT_EQ(maps.routing.get(east, east), 1.5);
    EXPECT_EQ(maps.routing.get(west, west), std::nullopt);
    EXPECT_EQ(maps.routing.get(east, def), std::nullopt);
    EXPECT_EQ(maps.vtag.size(), 64u);
    EXPECT_EQ(maps.vtag.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(AltoMaps, TheVtagChangesWithTheNetworkMapOnly) {
    const auto base = parse_ok(kMaps);
    std::string costs_changed = kMaps;
    costs_changed.replace(costs_changed.find("35"), 2, "99");
    EXPECT_EQ(parse_ok(costs_changed).vtag, base.vtag);
    std::string map_changed = kMaps;
    map_changed.replace(map_changed.find("127.2.0.0/16"), 12, "127.3.0.0/16");
    EXPECT_NE(parse_ok(map_changed).vtag, base.vtag);
    // The same map written in another order is the same map.
    const std::string reordered = R"(
[pids.default]
ipv6 = ["::/0"]
ipv4 = ["0.0.0.0/0"]
[pids.west]
ipv6 = ["fd00:2::/32"]
ipv4 = ["127.2.0.0/16"]
[pids.east]
ipv4 = ["127.1.0.0/16"]
)";
    EXPECT_EQ(parse_ok(reordered).vtag, base.vtag);
}

TEST(AltoMaps, BadFilesSayWhatIsWrong) {
    EXPECT_NE(parse_error("[pids.a\n").find("line 1"), std::string::npos);
    EXPECT_NE(parse_error("colour = 1\n").find("unknown key \"colour\""), std::string::npos);
    EXPECT_NE(parse_error("[pids.a]\nipv4 = [\"0.0.0.0/0\"]\n").find("::/0"), std::string::npos);
    EXPECT_NE(parse_error("[pids.a]\nipv4 = [\"10.0.0.1/8\"]\n").find("pids.a.ipv4"),
              std::string::npos);
    EXPECT_NE(parse_error("[pids.a]\nipv4 = \"0.0.0.0/0\"\n").find("array of strings"),
              std::string::npos);
    EXPECT_NE(parse_error("[pids.a]\nipv5 = []\n").find("unknown key \"ipv5\""), std::string::npos);
    const std::string complete = "[pids.a]\nipv4 = [\"0.0.0.0/0\"]\nipv6 = [\"::/0\"]\n";
    EXPECT_NE(parse_error(complete + "[[costs]]\nsrc = \"a\"\ndst = \"b\"\nroutingcost = 1\n")
                  .find("costs[0].dst: no PID \"b\""),
              std::string::npos);
    EXPECT_NE(parse_error(complete + "[[costs]]\nsrc = \"a\"\ndst = \"a\"\nroutingcost = -1\n")
                  .find(">= 0"),
              std::string::npos);
    EXPECT_NE(parse_error(complete + "[[costs]]\nsrc = \"a\"\ndst = \"a\"\n").find("needs"),
              std::string::npos);
    EXPECT_NE(parse_error("resource_id = \"a b\"\n" + complete).find("resource_id"),
              std::string::npos);
}

}  // namespace
}  // namespace p2pls::alto
