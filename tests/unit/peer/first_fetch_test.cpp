// First fetchers (peer/core/first_fetch.hpp): how many the source names, and how the
// per-chunk tiers spread peers over time.
#include "peer/core/first_fetch.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

TEST(FirstFetch, HalfTheCopiesTheSourceBudgetServesPerChunk) {
    // 8 chunks' worth per chunk duration -> 4 first fetchers.
    EXPECT_EQ(first_fetchers_per_chunk(8 * 62'500, 62'500, 1s, 0), 4u);
    // Barely one copy per chunk: still one.
    EXPECT_EQ(first_fetchers_per_chunk(62'500, 62'500, 1s, 0), 1u);
    EXPECT_EQ(first_fetchers_per_chunk(1, 62'500, 1s, 0), 1u);
    // No budget: a fixed few. Configured: as configured.
    EXPECT_EQ(first_fetchers_per_chunk(0, 62'500, 1s, 0), 4u);
    EXPECT_EQ(first_fetchers_per_chunk(8 * 62'500, 62'500, 1s, 7), 7u);
}

TEST(FirstFetch, ShareOfTheNeighbours) {
    EXPECT_EQ(first_fetch_ppm(2, 50), 40'000u);
    EXPECT_EQ(first_fetch_ppm(4, 2), kFirstFetchPpmMax);  // more fetchers than neighbours
    EXPECT_EQ(first_fetch_ppm(2, 0), 0u);
}

TEST(FirstFetch, NoShareMeansNeverBeforeUrgent) {
    EXPECT_EQ(first_fetch_delay(peer_hash("peer-1"), ChunkSeq{7}, 0, 500ms), Duration::max());
}

TEST(FirstFetch, EveryoneIsTierZeroWhenTheShareIsWhole) {
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(first_fetch_delay(peer_hash("peer-" + std::to_string(i)), ChunkSeq{9},
                                    kFirstFetchPpmMax, 500ms),
                  Duration::zero());
    }
}

TEST(FirstFetch, TiersHoldAboutTheShareAndRotateAcrossChunks) {
    // 1,000 peers with a 1 % share: about 10 per tier, for every chunk; a peer's tier
    // changes from chunk to chunk, so no peer is the first fetcher of every chunk.
    constexpr std::uint32_t kPpm = 10'000;
    std::uint64_t tier0_total = 0;
    std::uint64_t tier0_of_peer_0 = 0;
    for (std::uint64_t seq = 1; seq <= 200; ++seq) {
        int tier0 = 0, tier1 = 0;
        for (int i = 0; i < 1000; ++i) {
            const Duration d = first_fetch_delay(peer_hash("peer-" + std::to_string(i)),
                                                 ChunkSeq{seq}, kPpm, 500ms);
            tier0 += d == Duration::zero() ? 1 : 0;
            tier1 += d == 500ms ? 1 : 0;
            if (i == 0 && d == Duration::zero()) {
                ++tier0_of_peer_0;
            }
        }
        EXPECT_LE(tier0, 30) << "seq " << seq;
        EXPECT_LE(tier1, 30) << "seq " << seq;
        tier0_total += static_cast<std::uint64_t>(tier0);
    }
    // 200 chunks x 10 expected = 2,000.
    EXPECT_GT(tier0_total, 1'700u);
    EXPECT_LT(tier0_total, 2'300u);
    EXPECT_LT(tier0_of_peer_0, 20u);
}

TEST(FirstFetch, PeerHashIsStableAndTellsIdsApart) {
    EXPECT_EQ(peer_hash("peer-1"), peer_hash("peer-1"));
    EXPECT_NE(peer_hash("peer-1"), peer_hash("peer-2"));
    // FNV-1a's offset basis for the empty string: the hash is the published one.
    EXPECT_EQ(peer_hash(""), 0xcbf29ce484222325ULL);
}

}  // namespace
}  // namespace p2pls::peer
