#include "decade-module/core/batching.hpp"

#include <gtest/gtest.h>

namespace p2pls::decade {
namespace {

using std::chrono::milliseconds;
const TimePoint t0{std::chrono::seconds(100)};

std::vector<PendingGet> gets(const std::string& server, int n, Duration first_deadline,
                             Duration step, std::uint64_t id0 = 0) {
    std::vector<PendingGet> out;
    for (int i = 0; i < n; ++i) {
        out.push_back({id0 + static_cast<std::uint64_t>(i), server, t0 + first_deadline + step * i,
                       64 * 1024});
    }
    return out;
}

TEST(Batching, UrgentGoAloneFirstAndTheRestShareSlots) {
    // 2 urgent (within 500 ms), 10 relaxed; 4 slots -> 2 singles + 2 batches of 5.
    auto pending = gets("s1", 12, milliseconds(100), milliseconds(300));
    const Plan plan = plan_requests(pending, {{"s1", 4}}, t0, BatchPolicy{});
    ASSERT_EQ(plan.requests.size(), 4u);
    EXPECT_TRUE(plan.requests[0].urgent);
    EXPECT_EQ(plan.requests[0].ids, std::vector<std::uint64_t>{0});
    EXPECT_EQ(plan.requests[1].ids, std::vector<std::uint64_t>{1});
    EXPECT_FALSE(plan.requests[2].urgent);
    EXPECT_EQ(plan.requests[2].ids.size(), 5u);
    EXPECT_EQ(plan.requests[3].ids.size(), 5u);
    EXPECT_TRUE(plan.deferred.empty());
}

TEST(Batching, AMinimumPerBatchUsesFewerSlots) {
    // 3 relaxed gets, 4 slots: spread, they would go one each; at least 2 a batch, a
    // batch of 2 and the last alone.
    auto pending = gets("s1", 3, milliseconds(5000), milliseconds(1000));
    BatchPolicy policy;
    EXPECT_EQ(plan_requests(pending, {{"s1", 4}}, t0, policy).requests.size(), 3u);
    policy.min_ops_per_batch = 2;
    const Plan plan = plan_requests(pending, {{"s1", 4}}, t0, policy);
    ASSERT_EQ(plan.requests.size(), 2u);
    EXPECT_EQ(plan.requests[0].ids, (std::vector<std::uint64_t>{0, 1}));
    EXPECT_EQ(plan.requests[1].ids, std::vector<std::uint64_t>{2});
    EXPECT_TRUE(plan.deferred.empty());
}

TEST(Batching, NeverMoreRequestsThanFreeSlots) {
    auto pending = gets("s1", 100, milliseconds(0), milliseconds(10));  // all urgent-ish
    const Plan plan = plan_requests(pending, {{"s1", 3}}, t0, BatchPolicy{});
    EXPECT_EQ(plan.requests.size(), 3u);
    EXPECT_EQ(plan.deferred.size(), 97u);
}

TEST(Batching, BatchesAreBoundedInOpsAndBytes) {
    auto pending = gets("s1", 100, milliseconds(1000), milliseconds(10));
    BatchPolicy policy;
    policy.max_ops_per_batch = 8;
    policy.max_bytes_per_batch = 5 * 64 * 1024;
    const Plan plan = plan_requests(pending, {{"s1", 2}}, t0, policy);
    ASSERT_EQ(plan.requests.size(), 2u);
    EXPECT_EQ(plan.requests[0].ids.size(), 5u);
    EXPECT_EQ(plan.requests[1].ids.size(), 5u);
    EXPECT_EQ(plan.deferred.size(), 90u);
    // Earliest deadlines leave first.
    EXPECT_EQ(plan.requests[0].ids.front(), 0u);
    EXPECT_EQ(plan.deferred.front().id, 10u);
}

TEST(Batching, ServersAreIndependentAndUnknownServersWait) {
    auto pending = gets("s1", 4, milliseconds(1000), milliseconds(10));
    auto more = gets("s2", 4, milliseconds(1000), milliseconds(10), 100);
    auto none = gets("s3", 2, milliseconds(0), milliseconds(10), 200);
    pending.insert(pending.end(), more.begin(), more.end());
    pending.insert(pending.end(), none.begin(), none.end());
    const Plan plan = plan_requests(pending, {{"s1", 1}, {"s2", 2}}, t0, BatchPolicy{});
    ASSERT_EQ(plan.requests.size(), 3u);
    std::size_t planned = 0;
    for (const auto& r : plan.requests) {
        EXPECT_NE(r.server, "s3");
        planned += r.ids.size();
    }
    EXPECT_EQ(planned, 8u);
    EXPECT_EQ(plan.deferred.size(), 2u);
}

TEST(Batching, OversizeObjectStillGoesAloneInABatch) {
    std::vector<PendingGet> pending{{1, "s1", t0 + milliseconds(2000), 10 * 1024 * 1024}};
    const Plan plan = plan_requests(pending, {{"s1", 1}}, t0, BatchPolicy{});
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].ids, std::vector<std::uint64_t>{1});
}

}  // namespace
}  // namespace p2pls::decade
