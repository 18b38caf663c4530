#include "common/core/chunk_bitmap.hpp"

#include <algorithm>
#include <bit>

namespace p2pls {
namespace {

constexpr std::size_t words_for(std::uint32_t bits) {
    return (bits + 63) / 64;
}

}  // namespace

ChunkBitmap::ChunkBitmap(std::uint32_t window, ChunkSeq base)
    : base_(std::min(base, ChunkSeq{kMaxBase})),
      window_(std::clamp<std::uint32_t>(window, 1, kMaxWindow)),
      words_(words_for(window_), 0) {}

Result<ChunkBitmap> ChunkBitmap::decode(ChunkSeq base, std::uint32_t window,
                                        std::string_view bits) {
    if (window == 0 || window > kMaxWindow || base.value() > kMaxBase) {
        return make_error_code(Errc::bitmap_window_invalid);
    }
    if (bits.size() != (window + 7) / 8) {
        return make_error_code(Errc::bitmap_length_mismatch);
    }
    ChunkBitmap map(window, base);
    for (std::size_t i = 0; i < bits.size(); ++i) {
        const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(bits[i]));
        map.words_[i / 8] |= byte << (8 * (i % 8));
    }
    // Padding bits past the window must be zero: anything else is a malformed map.
    const std::uint32_t tail = window % 64;
    if (tail != 0 && (map.words_.back() >> tail) != 0) {
        return make_error_code(Errc::bitmap_length_mismatch);
    }
    return map;
}

std::string ChunkBitmap::encode() const {
    std::string out((window_ + 7) / 8, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<char>((words_[i / 8] >> (8 * (i % 8))) & 0xff);
    }
    return out;
}

bool ChunkBitmap::test(ChunkSeq seq) const noexcept {
    if (!in_window(seq)) {
        return false;
    }
    const std::size_t i = index(seq);
    return (words_[i / 64] >> (i % 64)) & 1U;
}

bool ChunkBitmap::set(ChunkSeq seq) noexcept {
    if (!in_window(seq)) {
        return false;
    }
    const std::size_t i = index(seq);
    words_[i / 64] |= std::uint64_t{1} << (i % 64);
    return true;
}

void ChunkBitmap::reset(ChunkSeq seq) noexcept {
    if (in_window(seq)) {
        const std::size_t i = index(seq);
        words_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
    }
}

void ChunkBitmap::slide_to(ChunkSeq new_base) {
    new_base = std::min(new_base, ChunkSeq{kMaxBase});
    if (new_base == base_) {
        return;
    }
    std::vector<std::uint64_t> moved(words_.size(), 0);
    // Copy the overlap bit by bit per word: shift is rare (once per chunk) and W small.
    const ChunkSeq lo = std::max(base_, new_base);
    const ChunkSeq hi = std::min(end(), new_base + window_);
    for (ChunkSeq s = lo; s < hi; ++s) {
        if (test(s)) {
            const auto j = static_cast<std::size_t>(s - new_base);
            moved[j / 64] |= std::uint64_t{1} << (j % 64);
        }
    }
    words_ = std::move(moved);
    base_ = new_base;
}

std::size_t ChunkBitmap::count() const noexcept {
    std::size_t n = 0;
    for (const auto w : words_) {
        n += static_cast<std::size_t>(std::popcount(w));
    }
    return n;
}

std::optional<ChunkSeq> ChunkBitmap::last_held() const noexcept {
    for (std::size_t w = words_.size(); w-- > 0;) {
        if (words_[w] != 0) {
            const auto bit = 63 - std::countl_zero(words_[w]);
            return base_ + (w * 64 + static_cast<std::size_t>(bit));
        }
    }
    return std::nullopt;
}

std::uint32_t ChunkBitmap::contiguous_from(ChunkSeq from) const noexcept {
    std::uint32_t n = 0;
    for (ChunkSeq s = from; test(s); ++s) {
        ++n;
    }
    return n;
}

std::vector<ChunkSeq> ChunkBitmap::missing(ChunkSeq from, ChunkSeq to) const {
    std::vector<ChunkSeq> out;
    const ChunkSeq lo = std::max(from, base_);
    const ChunkSeq hi = std::min(to, end());
    if (lo >= hi) {
        return out;
    }
    const std::size_t first = index(lo);
    const std::size_t last = index(hi);  // exclusive
    for (std::size_t w = first / 64; w * 64 < last; ++w) {
        std::uint64_t holes = ~words_[w];
        // Mask off bits outside [first, last) in this word.
        if (w == first / 64) {
            holes &= ~std::uint64_t{0} << (first % 64);
        }
        if ((w + 1) * 64 > last) {
            holes &= (std::uint64_t{1} << (last % 64)) - 1;
        }
        while (holes != 0) {
            const auto bit = static_cast<std::size_t>(std::countr_zero(holes));
            out.push_back(base_ + (w * 64 + bit));
            holes &= holes - 1;
        }
    }
    return out;
}

}  // namespace p2pls
