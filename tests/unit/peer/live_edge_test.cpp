// The live-edge estimate: trusted sources anchor it, other peers cannot drag it ahead.
#include "peer/core/live_edge.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

TEST(LiveEdge, EmptyUntilSomeoneSays) {
    const LiveEdge e(1s);
    EXPECT_FALSE(e.value());
    EXPECT_FALSE(e.expected(t0));
    EXPECT_FALSE(e.published_at(ChunkSeq{0}));
}

TEST(LiveEdge, TrustedAnchorMovesOneSeqPerChunkDuration) {
    LiveEdge e(1s);
    EXPECT_TRUE(e.observe(ChunkSeq{100}, true, t0));
    EXPECT_EQ(e.value(), ChunkSeq{100});
    EXPECT_EQ(e.expected(t0 + 999ms), ChunkSeq{100});
    EXPECT_EQ(e.expected(t0 + 3s), ChunkSeq{103});
    // Time before the anchor never counts backwards.
    EXPECT_EQ(e.expected(t0 - 5s), ChunkSeq{100});
    // An older trusted seq does not move the anchor back.
    EXPECT_TRUE(e.observe(ChunkSeq{90}, true, t0 + 10s));
    EXPECT_EQ(e.expected(t0 + 10s), ChunkSeq{110});
}

TEST(LiveEdge, APeerIsBelievedUpToTwoChunksPastTheExpectation) {
    LiveEdge e(1s);
    e.observe(ChunkSeq{100}, true, t0);
    EXPECT_TRUE(e.observe(ChunkSeq{107}, false, t0 + 5s));  // expected 105, +2 allowed
    EXPECT_EQ(e.value(), ChunkSeq{107});
    EXPECT_FALSE(e.observe(ChunkSeq{108}, false, t0 + 5s));
    EXPECT_EQ(e.value(), ChunkSeq{107});
    EXPECT_FALSE(e.observe(ChunkSeq{1'000'000}, false, t0 + 5s));
    // The source itself is believed however far it goes.
    EXPECT_TRUE(e.observe(ChunkSeq{500}, true, t0 + 5s));
    EXPECT_EQ(e.value(), ChunkSeq{500});
}

TEST(LiveEdge, WithoutAnAnchorPeersAreBelievedStepByStep) {
    LiveEdge e(1s);
    EXPECT_TRUE(e.observe(ChunkSeq{50}, false, t0));   // nothing to compare with
    EXPECT_TRUE(e.observe(ChunkSeq{52}, false, t0));   // the edge so far + 2
    EXPECT_FALSE(e.observe(ChunkSeq{55}, false, t0));  // 52 + 2 < 55
    EXPECT_EQ(e.value(), ChunkSeq{52});
}

TEST(LiveEdge, PublishedAtCountsBackFromTheAnchor) {
    LiveEdge e(500ms);
    e.observe(ChunkSeq{10}, true, t0);
    EXPECT_EQ(e.published_at(ChunkSeq{10}), t0);
    EXPECT_EQ(e.published_at(ChunkSeq{6}), t0 - 2s);
    EXPECT_FALSE(e.published_at(ChunkSeq{11}));  // past the anchor: not known yet
}

TEST(LiveEdge, PublishOnlyMovesForward) {
    LiveEdge e(1s);
    e.publish(ChunkSeq{5});
    e.publish(ChunkSeq{3});
    EXPECT_EQ(e.value(), ChunkSeq{5});
    EXPECT_FALSE(e.published_at(ChunkSeq{5}));  // publishing is not an anchor
}

}  // namespace
}  // namespace p2pls::peer
