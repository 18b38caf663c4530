#include "portal/core/alto_ranking.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace p2pls::portal {
namespace {

TEST(AltoRanking, TheRequestNamesTheUserAndTheServers) {
    const auto body = boost::json::parse(
        endpoint_cost_request("127.0.0.1", {"127.0.1.1", "::1", "not-an-address"}));
    EXPECT_EQ(body.at("cost-type").at("cost-mode").as_string(), "numerical");
    EXPECT_EQ(body.at("endpoints").at("srcs"), boost::json::parse(R"(["ipv4:127.0.0.1"])"));
    EXPECT_EQ(body.at("endpoints").at("dsts"),
              boost::json::parse(R"(["ipv4:127.0.1.1", "ipv6:::1"])"));
}

TEST(AltoRanking, CostsOrderTheServersAndAnythingElseKeepsTheDefault) {
    const std::vector<std::string> servers{"127.0.1.1", "127.0.2.1", "127.0.3.1"};
    const auto costs = endpoint_costs(R"({"meta": {}, "endpoint-cost-map": {"ipv4:10.0.0.1": {
        "ipv4:127.0.1.1": 40, "ipv4:127.0.3.1": 1}}})",
                                      "10.0.0.1", servers);
    ASSERT_TRUE(costs);
    EXPECT_EQ(*costs, (std::vector<std::optional<double>>{40.0, std::nullopt, 1.0}));
    // Cheapest first; a server without a cost after those with one.
    EXPECT_EQ(rank_by_cost(*costs), (std::vector<std::size_t>{2, 0, 1}));
    // Ties keep the configured order.
    EXPECT_EQ(rank_by_cost({5.0, 5.0, 1.0}), (std::vector<std::size_t>{2, 0, 1}));
    // Answers that are no endpoint cost map for this user: no ranking at all.
    for (const char* bad : {"", "{", "[]", R"({"endpoint-cost-map": []})",
                            R"({"endpoint-cost-map": {"ipv4:10.0.0.2": {}}})"}) {
        EXPECT_FALSE(endpoint_costs(bad, "10.0.0.1", servers)) << bad;
    }
    EXPECT_FALSE(endpoint_costs(R"({"endpoint-cost-map": {}})", "not-an-ip", servers));
    EXPECT_EQ(rank_by_cost({std::nullopt, std::nullopt}), (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(typed_address("::ffff:1.2.3.4"), "ipv6:::ffff:1.2.3.4");
}

}  // namespace
}  // namespace p2pls::portal
