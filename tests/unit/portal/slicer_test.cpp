#include "portal/core/slicer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "portal/core/placement.hpp"

namespace p2pls::portal {
namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    }
    return s;
}

TEST(Slicer, CutsAsTheBytesArriveWhateverTheirPieces) {
    const std::string file = pattern(3 * kMinSliceBytes + 100);
    for (const std::size_t piece :
         {std::size_t{1}, std::size_t{999}, kMinSliceBytes, file.size()}) {
        SCOPED_TRACE(piece);
        Slicer slicer(kMinSliceBytes);
        std::vector<Slice> slices;
        for (std::size_t at = 0; at < file.size(); at += piece) {
            for (auto& s : slicer.feed(std::string_view(file).substr(at, piece))) {
                // Handed out full, and never more than one slice held back.
                EXPECT_EQ(s.bytes.size(), kMinSliceBytes);
                slices.push_back(std::move(s));
            }
        }
        auto last = slicer.finish();
        ASSERT_TRUE(last);
        slices.push_back(std::move(*last));
        ASSERT_EQ(slices.size(), 4u);
        std::string joined;
        for (std::size_t i = 0; i < slices.size(); ++i) {
            EXPECT_EQ(slices[i].index, i);
            EXPECT_EQ(slices[i].offset, joined.size());
            EXPECT_EQ(slices[i].sha256, sha256_hex(slices[i].bytes));
            joined += slices[i].bytes;
        }
        EXPECT_EQ(joined, file);
        EXPECT_EQ(slicer.size(), file.size());
        EXPECT_EQ(slicer.file_sha256(), sha256_hex(file));
    }
}

TEST(Slicer, AnExactMultipleHasNoShortSliceAndAnEmptyFileNone) {
    Slicer slicer(kMinSliceBytes);
    EXPECT_EQ(slicer.feed(pattern(2 * kMinSliceBytes)).size(), 2u);
    EXPECT_FALSE(slicer.finish());
    Slicer empty;
    EXPECT_FALSE(empty.finish());
    EXPECT_EQ(empty.file_sha256(), sha256_hex(""));
    // Out-of-range sizes are clamped.
    EXPECT_EQ(Slicer(1).slice_bytes(), kMinSliceBytes);
    EXPECT_EQ(Slicer(SIZE_MAX).slice_bytes(), kMaxSliceBytes);
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Placement, SpreadsCopiesRoundRobinAndSkipsZonesThatAreDown) {
    const std::vector<bool> all{true, true, true};
    EXPECT_EQ(place_slice(0, all, 2), (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(place_slice(1, all, 2), (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(place_slice(2, all, 2), (std::vector<std::size_t>{2, 0}));
    EXPECT_EQ(place_slice(5, all, 9), (std::vector<std::size_t>{2, 0, 1}));
    const std::vector<bool> one_down{true, false, true};
    EXPECT_EQ(place_slice(1, one_down, 2), (std::vector<std::size_t>{2, 0}));
    EXPECT_TRUE(place_slice(0, {false, false}, 1).empty());
    EXPECT_TRUE(place_slice(0, {}, 1).empty());
}

}  // namespace
}  // namespace p2pls::portal
