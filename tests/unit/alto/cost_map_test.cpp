#include "alto/core/cost_map.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace p2pls::alto {
namespace {

using Row = std::vector<std::optional<double>>;

TEST(CostMap, OrdinalRanksShareTiesAndSkipAbsentCosts) {
    EXPECT_EQ(ordinal_ranks({5.0, 1.0, std::nullopt, 5.0, 20.0}),
              (Row{2.0, 1.0, std::nullopt, 2.0, 4.0}));
    EXPECT_EQ(ordinal_ranks({}), Row{});
}

TEST(CostMap, ConstraintsParseAndAllMustHold) {
    const auto le = parse_constraint("le 10");
    ASSERT_TRUE(le);
    EXPECT_TRUE(le->holds(10));
    EXPECT_FALSE(le->holds(10.5));
    const auto gt = parse_constraint("gt 0.5");
    ASSERT_TRUE(gt);
    EXPECT_TRUE(gt->holds(1));
    EXPECT_FALSE(gt->holds(0.5));
    for (const char* bad : {"le", "le  10", "xx 10", "le 10x", "le1", "le nan", "le inf", ""}) {
        EXPECT_FALSE(parse_constraint(bad)) << bad;
    }
    EXPECT_EQ(answer_row({1.0, 5.0, 20.0, std::nullopt}, CostMode::numerical,
                         {*parse_constraint("ge 5"), *parse_constraint("lt 20")}),
              (Row{std::nullopt, 5.0, std::nullopt, std::nullopt}));
    // In ordinal mode the constraints compare ranks.
    EXPECT_EQ(answer_row({1.0, 5.0, 20.0}, CostMode::ordinal, {*parse_constraint("le 2")}),
              (Row{1.0, 2.0, std::nullopt}));
}

TEST(CostMap, TableKeepsAbsentPairsAbsent) {
    CostTable table(2);
    table.set(0, 1, 7);
    EXPECT_EQ(table.get(0, 1), 7.0);
    EXPECT_EQ(table.get(1, 0), std::nullopt);
    EXPECT_EQ(parse_cost_mode("ordinal"), CostMode::ordinal);
    EXPECT_EQ(parse_cost_mode("Ordinal"), std::nullopt);
}

}  // namespace
}  // namespace p2pls::alto
