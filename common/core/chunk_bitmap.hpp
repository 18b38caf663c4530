// The chunk window [base, base + W) as a bitmap: what a peer holds, and what a buffer
// map carries on the wire (DESIGN.md §2). Bit i stands for chunk base + i; on the wire the
// bits are packed LSB-first into exactly ceil(W/8) bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/ids.hpp"

namespace p2pls {

class ChunkBitmap {
  public:
    // Largest window accepted from the wire; bigger ones are refused, not allocated.
    static constexpr std::uint32_t kMaxWindow = 4096;
    // Highest base: every window then ends at or below 2^64 - 1, so end() and every seq
    // in the window are real seqs (a base near 2^64 from the wire cannot wrap them).
    static constexpr std::uint64_t kMaxBase = UINT64_MAX - kMaxWindow;

    // A window of `window` chunks (1..kMaxWindow) starting at `base` (at most kMaxBase),
    // all missing.
    explicit ChunkBitmap(std::uint32_t window = 64, ChunkSeq base = ChunkSeq{0});

    // Decodes a buffer map's bits; fails on a window of 0 or above the cap, a base above
    // kMaxBase, or on
    // bits that are not exactly ceil(window/8) bytes, or with bits set past the window.
    static Result<ChunkBitmap> decode(ChunkSeq base, std::uint32_t window, std::string_view bits);

    // The packed bits for a buffer map.
    [[nodiscard]] std::string encode() const;

    [[nodiscard]] ChunkSeq base() const noexcept { return base_; }
    [[nodiscard]] std::uint32_t window() const noexcept { return window_; }
    // One past the last seq in the window.
    [[nodiscard]] ChunkSeq end() const noexcept { return base_ + window_; }
    [[nodiscard]] bool in_window(ChunkSeq seq) const noexcept {
        return seq >= base_ && seq < end();
    }

    // False for seqs outside the window.
    [[nodiscard]] bool test(ChunkSeq seq) const noexcept;
    // Marks seq held; returns false (and changes nothing) when seq is outside the window.
    bool set(ChunkSeq seq) noexcept;
    void reset(ChunkSeq seq) noexcept;

    // Moves the window to start at new_base (either direction; clamped to kMaxBase); seqs
    // in both the old and the new window keep their state, the rest start missing.
    void slide_to(ChunkSeq new_base);

    // Number of chunks held.
    [[nodiscard]] std::size_t count() const noexcept;
    // Newest held seq, if any.
    [[nodiscard]] std::optional<ChunkSeq> last_held() const noexcept;
    // Length of the run of held chunks starting at `from` (0 if `from` is missing).
    [[nodiscard]] std::uint32_t contiguous_from(ChunkSeq from) const noexcept;
    // Missing seqs in [from, to), clipped to the window, oldest first.
    [[nodiscard]] std::vector<ChunkSeq> missing(ChunkSeq from, ChunkSeq to) const;

    friend bool operator==(const ChunkBitmap&, const ChunkBitmap&) = default;

  private:
    [[nodiscard]] std::size_t index(ChunkSeq seq) const noexcept {
        return static_cast<std::size_t>(seq - base_);
    }

    ChunkSeq base_;
    std::uint32_t window_;
    std::vector<std::uint64_t> words_;
};

}  // namespace p2pls
