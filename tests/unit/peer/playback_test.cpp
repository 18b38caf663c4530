// The playback clock: startup, real-time play, freezes and misses, on a virtual clock.
#include "peer/core/playback.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

struct Clip {
    Playback playback{1s, 2, 1s, t0};
    ChunkBitmap held{64, ChunkSeq{0}};

    // Marks the seqs of "xx.x" (from seq 10) held.
    void hold(const std::string& pattern, std::uint64_t from = 10) {
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if (pattern[i] == 'x') {
                held.set(ChunkSeq{from + i});
            }
        }
    }
    Playback::Step at(Duration d) { return playback.advance(t0 + d, held); }
};

// A seq a neighbour made up, 2^62 chunks away, is due "never", not at an overflowed time
// (found by the peer_engine fuzz target).
TEST(Playback, DueTimeOfAFarSeqDoesNotOverflow) {
    Clip c;
    c.playback.join(ChunkSeq{10});
    const auto far = c.playback.due(ChunkSeq{std::uint64_t{1} << 62}, t0);
    EXPECT_GT(far, t0 + 24h * 100);  // 2^24 chunks of 1 s: half a year
    const auto past = c.playback.due(ChunkSeq{0}, t0);
    EXPECT_EQ(past, t0 - 10s);
}

TEST(Playback, StartsOnceTwoSecondsAreContiguous) {
    Clip c;
    c.playback.join(ChunkSeq{10});
    c.hold("x");
    EXPECT_TRUE(c.at(500ms).played.empty());
    EXPECT_FALSE(c.playback.started());
    c.hold(".x");
    const auto step = c.at(700ms);
    ASSERT_EQ(step.played.size(), 1u);
    EXPECT_EQ(step.played[0], ChunkSeq{10});
    EXPECT_TRUE(c.playback.started());
    EXPECT_EQ(c.playback.stats(t0 + 700ms).startup_delay, 700ms);
}

TEST(Playback, PlaysInRealTime) {
    Clip c;
    c.playback.join(ChunkSeq{10});
    c.hold("xxxxx");
    EXPECT_EQ(c.at(0s).played.size(), 1u);
    EXPECT_EQ(c.at(999ms).played.size(), 0u);
    EXPECT_EQ(c.at(1s).played.size(), 1u);
    EXPECT_EQ(c.at(3s).played.size(), 2u);
    EXPECT_EQ(c.playback.playhead(), ChunkSeq{14});
    EXPECT_EQ(c.playback.stats(t0 + 3s).freezes, 0u);
}

TEST(Playback, OneFreezePerStallAndAMissAfterSkipAfter) {
    Clip c;
    c.playback.join(ChunkSeq{10});
    c.hold("xx..x");  // 12 and 13 never come
    c.at(0s);
    c.at(1s);
    EXPECT_TRUE(c.at(2500ms).played.empty());  // waiting at 12 since 2 s
    EXPECT_EQ(c.playback.stats(t0 + 2500ms).freezes, 1u);
    const auto step = c.at(4s);  // 12 skipped at 3 s, 13 skipped at 4 s, 14 played at 4 s
    EXPECT_EQ(step.skipped, (std::vector<ChunkSeq>{ChunkSeq{12}, ChunkSeq{13}}));
    EXPECT_EQ(step.played, (std::vector<ChunkSeq>{ChunkSeq{14}}));
    const auto s = c.playback.stats(t0 + 4s);
    EXPECT_EQ(s.freezes, 1u) << "one stall spanning two skipped chunks";
    EXPECT_EQ(s.chunks_missed, 2u);
    EXPECT_EQ(s.chunks_due, 5u);
    EXPECT_EQ(s.stalled, 2s);
}

TEST(Playback, LateChunkResumesPlaybackAndCountsStalledTime) {
    Clip c;
    c.playback.join(ChunkSeq{10});
    c.hold("xx");
    c.at(0s);
    c.at(1s);
    c.at(2100ms);  // 12 is late
    c.hold("..x");
    const auto step = c.at(2400ms);
    EXPECT_EQ(step.played, (std::vector<ChunkSeq>{ChunkSeq{12}}));
    const auto s = c.playback.stats(t0 + 2400ms);
    EXPECT_EQ(s.freezes, 1u);
    EXPECT_EQ(s.chunks_missed, 0u);
    EXPECT_EQ(s.stalled, 400ms);
    // The next chunk is due a chunk after the resume.
    EXPECT_EQ(c.playback.due(ChunkSeq{13}, t0 + 2400ms), t0 + 3400ms);
}

TEST(Playback, NothingHappensBeforeJoin) {
    Clip c;
    c.hold("xxxx");
    EXPECT_TRUE(c.at(5s).played.empty());
    EXPECT_FALSE(c.playback.next_event().has_value());
}

}  // namespace
}  // namespace p2pls::peer
