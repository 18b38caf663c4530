// The QoE report is a function of what the engine counted: every figure comes from one
// counter, and the ratios never divide by zero.
#include "peer/core/qoe_report.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

TEST(QoeReport, FreshPeerHasNoStartupAndNoRatios) {
    const PeerId id{"p1"};
    const Playback playback(1s, 2, 1s, t0);
    const Traffic traffic;
    const DecadeStats stats;
    const auto r = make_qoe_report({id, false, t0, playback, traffic, stats, 0}, t0 + 3s, false);
    EXPECT_EQ(r.peer_id(), "p1");
    EXPECT_EQ(r.mode(), "native");
    EXPECT_DOUBLE_EQ(r.elapsed_s(), 3.0);
    EXPECT_DOUBLE_EQ(r.startup_delay_s(), -1.0);
    EXPECT_DOUBLE_EQ(r.miss_rate(), 0.0);
    EXPECT_DOUBLE_EQ(r.mean_batch_size(), 0.0);
    EXPECT_FALSE(r.final());
}

TEST(QoeReport, CountersLandInTheirFields) {
    const PeerId id{"p2"};
    Playback playback(1s, 1, 1s, t0);
    playback.join(ChunkSeq{10});
    ChunkBitmap held(64, ChunkSeq{0});
    held.set(ChunkSeq{10});
    // Startup at 2 s; chunk 11 never comes, so it is skipped after skip_after.
    playback.advance(t0 + 2s, held);
    playback.advance(t0 + 5s, held);
    Traffic traffic;
    traffic.upload_media_bytes = 7;
    traffic.bytes_from_source = 3;
    traffic.chunks_rejected = 2;
    DecadeStats stats;
    stats.batches = 4;
    stats.batched_objects = 10;
    stats.bytes_from_decade = 99;
    stats.fallbacks = 5;
    const auto r = make_qoe_report({id, true, t0, playback, traffic, stats, 6}, t0 + 5s, true);
    EXPECT_EQ(r.mode(), "decade");
    EXPECT_TRUE(r.final());
    EXPECT_DOUBLE_EQ(r.startup_delay_s(), 2.0);
    ASSERT_GT(r.chunks_due(), 0u);
    EXPECT_GT(r.chunks_missed(), 0u);
    EXPECT_DOUBLE_EQ(r.miss_rate(),
                     static_cast<double>(r.chunks_missed()) / static_cast<double>(r.chunks_due()));
    EXPECT_EQ(r.upload_media_bytes(), 7u);
    EXPECT_EQ(r.socket_media_bytes_sent(), 7u);
    EXPECT_EQ(r.bytes_from_source(), 3u);
    EXPECT_EQ(r.chunks_rejected(), 2u);
    EXPECT_EQ(r.bytes_from_decade(), 99u);
    EXPECT_EQ(r.decade_batches(), 4u);
    EXPECT_DOUBLE_EQ(r.mean_batch_size(), 2.5);
    EXPECT_EQ(r.fallbacks(), 5u);
    EXPECT_EQ(r.neighbors(), 6u);
}

}  // namespace
}  // namespace p2pls::peer
