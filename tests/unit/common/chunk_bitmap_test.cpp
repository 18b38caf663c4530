#include "common/core/chunk_bitmap.hpp"

#include <gtest/gtest.h>

namespace p2pls {
namespace {

// Scenario notation: "x" held, "." missing, from base onwards.
ChunkBitmap map_of(std::string_view held, std::uint64_t base = 0) {
    ChunkBitmap map(static_cast<std::uint32_t>(held.size()), ChunkSeq{base});
    for (std::size_t i = 0; i < held.size(); ++i) {
        if (held[i] == 'x') {
            map.set(ChunkSeq{base + i});
        }
    }
    return map;
}

std::string show(const ChunkBitmap& map) {
    std::string out;
    for (ChunkSeq s = map.base(); s < map.end(); ++s) {
        out += map.test(s) ? 'x' : '.';
    }
    return out;
}

TEST(ChunkBitmap, EmptyMapHoldsNothing) {
    ChunkBitmap map(64, ChunkSeq{100});
    EXPECT_EQ(map.count(), 0u);
    EXPECT_FALSE(map.last_held().has_value());
    EXPECT_EQ(map.missing(ChunkSeq{100}, ChunkSeq{164}).size(), 64u);
    EXPECT_EQ(map.contiguous_from(ChunkSeq{100}), 0u);
}

TEST(ChunkBitmap, FullMap) {
    ChunkBitmap map(64, ChunkSeq{0});
    for (std::uint64_t s = 0; s < 64; ++s) {
        EXPECT_TRUE(map.set(ChunkSeq{s}));
    }
    EXPECT_EQ(map.count(), 64u);
    EXPECT_TRUE(map.missing(ChunkSeq{0}, ChunkSeq{64}).empty());
    EXPECT_EQ(map.contiguous_from(ChunkSeq{0}), 64u);
    EXPECT_EQ(*map.last_held(), ChunkSeq{63});
    EXPECT_EQ(map.encode(), std::string(8, '\xff'));
}

TEST(ChunkBitmap, SetOutsideWindowIsRefused) {
    ChunkBitmap map(8, ChunkSeq{10});
    EXPECT_FALSE(map.set(ChunkSeq{9}));
    EXPECT_FALSE(map.set(ChunkSeq{18}));
    EXPECT_TRUE(map.set(ChunkSeq{17}));
    EXPECT_FALSE(map.test(ChunkSeq{18}));
    EXPECT_EQ(map.count(), 1u);
}

TEST(ChunkBitmap, SlideForwardKeepsOverlap) {
    auto map = map_of("xx.x.xx.", 0);
    map.slide_to(ChunkSeq{3});
    EXPECT_EQ(show(map), "x.xx....");
}

TEST(ChunkBitmap, SlideBackwardKeepsOverlap) {
    auto map = map_of("xx.x", 10);
    map.slide_to(ChunkSeq{8});
    EXPECT_EQ(show(map), "..xx");
}

TEST(ChunkBitmap, SlidePastEndClearsEverything) {
    auto map = map_of("xxxxxxxx", 0);
    map.slide_to(ChunkSeq{8});
    EXPECT_EQ(map.count(), 0u);
    map = map_of("xxxxxxxx", 0);
    map.slide_to(ChunkSeq{1000});
    EXPECT_EQ(map.count(), 0u);
    EXPECT_EQ(map.base(), ChunkSeq{1000});
}

TEST(ChunkBitmap, MissingAcrossWordBoundaries) {
    ChunkBitmap map(130, ChunkSeq{0});
    for (std::uint64_t s = 0; s < 130; ++s) {
        if (s != 63 && s != 64 && s != 129) {
            map.set(ChunkSeq{s});
        }
    }
    const auto holes = map.missing(ChunkSeq{0}, ChunkSeq{1000});
    ASSERT_EQ(holes.size(), 3u);
    EXPECT_EQ(holes[0], ChunkSeq{63});
    EXPECT_EQ(holes[1], ChunkSeq{64});
    EXPECT_EQ(holes[2], ChunkSeq{129});
    // Clipped range.
    EXPECT_EQ(map.missing(ChunkSeq{64}, ChunkSeq{129}).size(), 1u);
    EXPECT_TRUE(map.missing(ChunkSeq{200}, ChunkSeq{300}).empty());
}

TEST(ChunkBitmap, EncodeDecodeRoundTrip) {
    const auto map = map_of("x..x.x.xx..x", 42);
    const auto bits = map.encode();
    ASSERT_EQ(bits.size(), 2u);
    auto back = ChunkBitmap::decode(ChunkSeq{42}, 12, bits);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, map);
    EXPECT_EQ(show(*back), "x..x.x.xx..x");
}

TEST(ChunkBitmap, DecodeRejectsWrongLength) {
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{0}, 64, std::string(7, '\0')).error(),
              make_error_code(Errc::bitmap_length_mismatch));
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{0}, 64, std::string(9, '\0')).error(),
              make_error_code(Errc::bitmap_length_mismatch));
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{0}, 12, std::string{}).error(),
              make_error_code(Errc::bitmap_length_mismatch));
}

TEST(ChunkBitmap, DecodeRejectsBitsPastWindow) {
    // Window 12 uses the low 4 bits of the second byte; bit 12 set is malformed.
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{0}, 12, std::string("\x00\x10", 2)).error(),
              make_error_code(Errc::bitmap_length_mismatch));
}

// A base near 2^64 would wrap the window's end below its base, and every seq in it would
// read as outside: such a buffer map is refused, and a local window stops short of it.
TEST(ChunkBitmap, BaseNearTopOfRangeNeverWraps) {
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{UINT64_MAX - 3}, 8, std::string(1, '\x01')).error(),
              make_error_code(Errc::bitmap_window_invalid));
    const auto top = ChunkBitmap::decode(ChunkSeq{ChunkBitmap::kMaxBase}, ChunkBitmap::kMaxWindow,
                                         std::string(ChunkBitmap::kMaxWindow / 8, '\xff'));
    ASSERT_TRUE(top.has_value());
    EXPECT_EQ(top->count(), ChunkBitmap::kMaxWindow);
    EXPECT_TRUE(top->test(ChunkSeq{UINT64_MAX - 1}));

    ChunkBitmap map(64, ChunkSeq{10});
    map.slide_to(ChunkSeq{UINT64_MAX});
    EXPECT_EQ(map.base().value(), ChunkBitmap::kMaxBase);
    EXPECT_GT(map.end(), map.base());
    EXPECT_TRUE(map.set(ChunkSeq{ChunkBitmap::kMaxBase + 63}));
}

TEST(ChunkBitmap, DecodeRejectsAbsurdWindow) {
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{0}, 0, std::string{}).error(),
              make_error_code(Errc::bitmap_window_invalid));
    EXPECT_EQ(ChunkBitmap::decode(ChunkSeq{0}, ChunkBitmap::kMaxWindow + 1, std::string(513, '\0'))
                  .error(),
              make_error_code(Errc::bitmap_window_invalid));
}

TEST(ChunkBitmap, ContiguousRun) {
    const auto map = map_of("..xxx.x", 0);
    EXPECT_EQ(map.contiguous_from(ChunkSeq{2}), 3u);
    EXPECT_EQ(map.contiguous_from(ChunkSeq{6}), 1u);
    EXPECT_EQ(map.contiguous_from(ChunkSeq{0}), 0u);
}

}  // namespace
}  // namespace p2pls
