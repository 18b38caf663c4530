// The source's spread (peer/core/source_spread.hpp): while its budget is short, the
// least-copied chunk someone asks for goes first.
#include "peer/core/source_spread.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

TEST(SourceSpread, AnyChunkGoesWhenNothingLessCopiedIsWanted) {
    SourceSpread s(500ms);
    EXPECT_TRUE(s.least_copied(ChunkSeq{7}, t0));
    s.note_requested(ChunkSeq{7}, t0);
    s.note_served(ChunkSeq{7});
    s.note_served(ChunkSeq{7});
    EXPECT_EQ(s.copies(ChunkSeq{7}), 2u);
    // Chunk 8 has fewer copies but nobody asked for it: 7 may go again.
    s.note_served(ChunkSeq{9});
    EXPECT_TRUE(s.least_copied(ChunkSeq{7}, t0 + 10ms));
}

TEST(SourceSpread, AChunkWantedNowWithFewerCopiesGoesFirstUntilItsDemandIsOld) {
    SourceSpread s(500ms);
    s.note_requested(ChunkSeq{3}, t0);
    s.note_served(ChunkSeq{3});
    s.note_requested(ChunkSeq{4}, t0 + 100ms);  // asked for, not yet served
    EXPECT_FALSE(s.least_copied(ChunkSeq{3}, t0 + 200ms));
    EXPECT_TRUE(s.least_copied(ChunkSeq{4}, t0 + 200ms));
    // Once 4 has as many copies as 3, both may go.
    s.note_served(ChunkSeq{4});
    EXPECT_TRUE(s.least_copied(ChunkSeq{3}, t0 + 200ms));
    // A demand older than the window no longer holds the others back.
    s.note_requested(ChunkSeq{5}, t0 + 300ms);
    EXPECT_FALSE(s.least_copied(ChunkSeq{3}, t0 + 800ms));
    EXPECT_TRUE(s.least_copied(ChunkSeq{3}, t0 + 801ms));
}

TEST(SourceSpread, ForgetsChunksThatLeftTheWindow) {
    SourceSpread s(500ms);
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        s.note_requested(ChunkSeq{seq}, t0);
        s.note_served(ChunkSeq{seq});
    }
    s.note_served(ChunkSeq{5});
    EXPECT_FALSE(s.least_copied(ChunkSeq{5}, t0));  // 1..4 are wanted with one copy
    s.forget_before(ChunkSeq{5});
    EXPECT_EQ(s.copies(ChunkSeq{4}), 0u);
    EXPECT_EQ(s.copies(ChunkSeq{5}), 2u);
    EXPECT_TRUE(s.least_copied(ChunkSeq{5}, t0));
}

}  // namespace
}  // namespace p2pls::peer
