#include "peer/core/chunk_store.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

std::shared_ptr<const wire::Chunk> chunk(std::uint64_t seq) {
    auto c = std::make_shared<wire::Chunk>();
    c->set_seq(seq);
    c->set_payload("p" + std::to_string(seq));
    return c;
}

TEST(ChunkStore, StoresOnlyInsideTheWindowAndOnce) {
    ChunkStore s(4, ChunkSeq{10});
    EXPECT_TRUE(s.insert(chunk(10)));
    EXPECT_FALSE(s.insert(chunk(10)));
    EXPECT_FALSE(s.insert(chunk(9)));
    EXPECT_FALSE(s.insert(chunk(14)));
    EXPECT_TRUE(s.insert(chunk(13)));
    EXPECT_TRUE(s.has(ChunkSeq{13}));
    EXPECT_EQ(s.get(ChunkSeq{13})->payload(), "p13");
    EXPECT_EQ(s.get(ChunkSeq{12}), nullptr);
    EXPECT_EQ(s.size(), 2u);
}

TEST(ChunkStore, SlidingDropsWhatFallsOut) {
    ChunkStore s(4, ChunkSeq{10});
    for (std::uint64_t q = 10; q < 14; ++q) {
        s.insert(chunk(q));
    }
    s.slide_to(ChunkSeq{12});
    EXPECT_EQ(s.size(), 2u);
    EXPECT_FALSE(s.has(ChunkSeq{11}));
    EXPECT_TRUE(s.has(ChunkSeq{12}));
    EXPECT_TRUE(s.insert(chunk(15)));
    EXPECT_EQ(s.bitmap().encode(), std::string(1, static_cast<char>(0b1011)));
}

}  // namespace
}  // namespace p2pls::peer
