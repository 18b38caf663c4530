// The chunks a peer holds: verified chunks inside the sliding window [base, base + W),
// plus the bitmap its buffer maps advertise. Memory is bounded by W chunks.
#pragma once

#include <map>
#include <memory>

#include "common/core/chunk_bitmap.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::peer {

class ChunkStore {
  public:
    explicit ChunkStore(std::uint32_t window, ChunkSeq base = ChunkSeq{0});

    // Stores a chunk that has ALREADY been verified. Returns false (and stores nothing)
    // when its seq is outside the window or already held.
    bool insert(std::shared_ptr<const wire::Chunk> chunk);

    [[nodiscard]] bool has(ChunkSeq seq) const noexcept { return held_.test(seq); }
    // The chunk, or null when not held.
    [[nodiscard]] std::shared_ptr<const wire::Chunk> get(ChunkSeq seq) const;

    // Moves the window; chunks that fall out of it are dropped.
    void slide_to(ChunkSeq base);

    [[nodiscard]] const ChunkBitmap& bitmap() const noexcept { return held_; }
    [[nodiscard]] ChunkSeq base() const noexcept { return held_.base(); }
    [[nodiscard]] ChunkSeq end() const noexcept { return held_.end(); }
    [[nodiscard]] std::size_t size() const noexcept { return chunks_.size(); }

  private:
    ChunkBitmap held_;
    std::map<ChunkSeq, std::shared_ptr<const wire::Chunk>> chunks_;
};

}  // namespace p2pls::peer
