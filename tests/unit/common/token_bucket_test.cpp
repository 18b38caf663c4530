#include "common/core/token_bucket.hpp"

#include <gtest/gtest.h>

namespace p2pls {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint t0{};

TEST(TokenBucket, StartsFullAndRefusesBeyondBurst) {
    TokenBucket bucket(1000, 500, t0);
    EXPECT_EQ(bucket.available(t0), 500u);
    EXPECT_TRUE(bucket.try_consume(300, t0));
    EXPECT_FALSE(bucket.try_consume(201, t0));
    EXPECT_TRUE(bucket.try_consume(200, t0));
    EXPECT_EQ(bucket.available(t0), 0u);
}

TEST(TokenBucket, RefillsAtRateUnderVirtualClock) {
    TokenBucket bucket(1000, 1000, t0);
    ASSERT_TRUE(bucket.try_consume(1000, t0));
    EXPECT_EQ(bucket.available(t0 + milliseconds(250)), 250u);
    EXPECT_FALSE(bucket.try_consume(251, t0 + milliseconds(250)));
    EXPECT_TRUE(bucket.try_consume(250, t0 + milliseconds(250)));
    EXPECT_EQ(bucket.available(t0 + milliseconds(250)), 0u);
}

TEST(TokenBucket, NeverExceedsBurstAfterLongIdle) {
    TokenBucket bucket(1'000'000'000, 4096, t0);
    ASSERT_TRUE(bucket.try_consume(4096, t0));
    EXPECT_EQ(bucket.available(t0 + std::chrono::hours(24 * 365)), 4096u);
}

TEST(TokenBucket, WaitForIsExactToTheMicrosecond) {
    TokenBucket bucket(1000, 1000, t0);
    ASSERT_TRUE(bucket.try_consume(1000, t0));
    const Duration wait = bucket.wait_for(100, t0);
    EXPECT_EQ(wait, milliseconds(100));
    EXPECT_FALSE(bucket.try_consume(100, t0 + wait - Duration(1)));
    EXPECT_TRUE(bucket.try_consume(100, t0 + wait));
}

TEST(TokenBucket, DebtIsRepaidBeforeAnythingPasses) {
    TokenBucket bucket(1000, 1000, t0);
    bucket.consume(3000, t0);  // 2000 bytes of debt
    EXPECT_EQ(bucket.available(t0 + seconds(1)), 0u);
    EXPECT_FALSE(bucket.try_consume(1, t0 + seconds(2)));
    EXPECT_TRUE(bucket.try_consume(1, t0 + seconds(2) + milliseconds(1)));
}

TEST(TokenBucket, LongRunAverageMatchesRate) {
    // Greedy sender of 1500-byte packets for 10 virtual seconds at 100 kB/s.
    TokenBucket bucket(100'000, 15'000, t0);
    std::uint64_t sent = 0;
    for (TimePoint now = t0; now < t0 + seconds(10); now += milliseconds(1)) {
        while (bucket.try_consume(1500, now)) {
            sent += 1500;
        }
    }
    EXPECT_GE(sent, 1'000'000u);
    EXPECT_LE(sent, 1'000'000u + 15'000u);
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
    TokenBucket bucket(0, 0, t0);
    EXPECT_TRUE(bucket.unlimited());
    EXPECT_TRUE(bucket.try_consume(1'000'000'000, t0));
    EXPECT_EQ(bucket.wait_for(1'000'000'000, t0), Duration::zero());
}

TEST(TokenBucket, TimeGoingBackwardsChangesNothing) {
    TokenBucket bucket(1000, 1000, t0 + seconds(5));
    ASSERT_TRUE(bucket.try_consume(1000, t0 + seconds(5)));
    EXPECT_FALSE(bucket.try_consume(1, t0));
    EXPECT_EQ(bucket.available(t0 + seconds(5)), 0u);
}

TEST(TokenBucket, SetRateKeepsTokensCappedAtNewBurst) {
    TokenBucket bucket(1000, 1000, t0);
    bucket.set_rate(10, 100, t0);
    EXPECT_EQ(bucket.available(t0), 100u);
    ASSERT_TRUE(bucket.try_consume(100, t0));
    EXPECT_EQ(bucket.available(t0 + seconds(1)), 10u);
}

}  // namespace
}  // namespace p2pls
