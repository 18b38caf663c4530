// Who gets the last of an uplink: the reserve for due_soon requests, the claim check,
// the source's spread and the Busy pacing, on a virtual clock.
#include "peer/core/upload_policy.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;
constexpr std::uint64_t kChunk = 10'000;

EngineConfig budget(std::uint64_t rate, std::uint64_t burst, bool origin = false) {
    EngineConfig c;
    c.upload_limit_bytes_per_s = rate;
    c.upload_burst_bytes = burst;
    c.origin = origin;
    return c;
}

TEST(UploadPolicy, UnlimitedAdmitsEverything) {
    UploadPolicy p(budget(0, 1), t0);
    EXPECT_TRUE(p.unlimited());
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(p.admit(ChunkSeq{1}, 1'000'000, false, t0));
    }
}

TEST(UploadPolicy, APeerKeepsTheLastChunkOfBudgetForDueSoonRequests) {
    UploadPolicy p(budget(kChunk, 3 * kChunk), t0);
    EXPECT_TRUE(p.admit(ChunkSeq{1}, kChunk, false, t0));   // 3 -> 2 chunks left
    EXPECT_TRUE(p.admit(ChunkSeq{2}, kChunk, false, t0));   // 2 -> 1
    EXPECT_FALSE(p.admit(ChunkSeq{3}, kChunk, false, t0));  // the last one is reserved
    EXPECT_TRUE(p.admit(ChunkSeq{3}, kChunk, true, t0));    // ... for this
    EXPECT_FALSE(p.admit(ChunkSeq{4}, kChunk, true, t0));   // and then the budget is spent
    EXPECT_TRUE(p.admit(ChunkSeq{4}, kChunk, true, t0 + 1s));
}

TEST(UploadPolicy, AChunkBiggerThanTheBurstWidensItInsteadOfNeverPassing) {
    UploadPolicy p(budget(1'000'000, 1000), t0);
    // Burst 1000 < 50,000: widened to two chunks, which fill over 0.1 s.
    EXPECT_FALSE(p.admit(ChunkSeq{1}, 50'000, true, t0));
    EXPECT_TRUE(p.admit(ChunkSeq{1}, 50'000, true, t0 + 100ms));
}

TEST(UploadPolicy, DueSoonIsBelievedOnlyNearTheAdvertisedPlayhead) {
    // due_soon 2 s + a 500 ms map interval + 1: 2 + 1 + 1 = 4 chunks from the playhead.
    const UploadPolicy p(budget(kChunk, 3 * kChunk), t0);
    EXPECT_TRUE(p.believe_due_soon(std::nullopt, ChunkSeq{1'000}));
    EXPECT_TRUE(p.believe_due_soon(ChunkSeq{100}, ChunkSeq{100}));
    EXPECT_TRUE(p.believe_due_soon(ChunkSeq{100}, ChunkSeq{103}));
    EXPECT_FALSE(p.believe_due_soon(ChunkSeq{100}, ChunkSeq{104}));
    // A DECADE peer's maps come every token_refresh (4 s): the window is wider.
    EngineConfig d = budget(kChunk, 3 * kChunk);
    d.decade.enabled = true;
    const UploadPolicy q(d, t0);
    EXPECT_TRUE(q.believe_due_soon(ChunkSeq{100}, ChunkSeq{106}));
    EXPECT_FALSE(q.believe_due_soon(ChunkSeq{100}, ChunkSeq{107}));
}

TEST(UploadPolicy, BusyRetryFollowsTheBudgetWithinBounds) {
    UploadPolicy p(budget(kChunk, kChunk), t0);
    ASSERT_TRUE(p.admit(ChunkSeq{1}, kChunk, true, t0));  // empty now
    // A chunk's worth refills in 1 s.
    EXPECT_EQ(p.busy_retry_after_ms(false, kChunk, t0), 1000u);
    EXPECT_EQ(p.busy_retry_after_ms(false, kChunk, t0 + 500ms), 500u);
    EXPECT_EQ(p.busy_retry_after_ms(false, kChunk, t0 + 2s), 50u);  // at least 50 ms
    UploadPolicy slow(budget(1000, 2 * kChunk), t0);
    ASSERT_TRUE(slow.admit(ChunkSeq{1}, 2 * kChunk, true, t0));
    EXPECT_EQ(slow.busy_retry_after_ms(false, kChunk, t0), 5000u);  // 10 s: the cap
    // A peer that never serves media says "not before the cap".
    EXPECT_EQ(p.busy_retry_after_ms(true, kChunk, t0 + 2s), 5000u);
}

TEST(UploadPolicy, TheSourceServesTheLeastCopiedChunkFirst) {
    // One chunk of burst, refilled in 400 ms (the demand window is 500 ms).
    UploadPolicy p(budget(25'000, kChunk, true), t0);
    ASSERT_NE(p.spread(), nullptr);
    EXPECT_TRUE(p.admit(ChunkSeq{1}, kChunk, false, t0));
    EXPECT_FALSE(p.admit(ChunkSeq{2}, kChunk, false, t0));  // wanted, but no budget
    // Budget again: another copy of 1 waits while 2, wanted lately, has none...
    EXPECT_FALSE(p.admit(ChunkSeq{1}, kChunk, false, t0 + 400ms));
    // ... unless a stall is near.
    EXPECT_TRUE(p.admit(ChunkSeq{1}, kChunk, true, t0 + 400ms));
    EXPECT_EQ(p.spread()->copies(ChunkSeq{1}), 2u);
    p.forget_before(ChunkSeq{2});
    EXPECT_EQ(p.spread()->copies(ChunkSeq{1}), 0u);
}

TEST(UploadPolicy, APeerHasNoSpread) {
    const UploadPolicy p(budget(kChunk, kChunk), t0);
    EXPECT_EQ(p.spread(), nullptr);
    const UploadPolicy unlimited_source(budget(0, kChunk, true), t0);
    EXPECT_EQ(unlimited_source.spread(), nullptr);
}

}  // namespace
}  // namespace p2pls::peer
