// What the peer believes the channel's live edge is: the newest seq anyone told it of,
// bounded by what the source can have produced by now.
//
// The tracker and the source are trusted: what they say anchors the estimate (seq, when
// heard), and from then on the edge moves one seq per chunk_duration. Other peers are
// believed only up to two chunks past that expectation, so that a lying or confused
// neighbour cannot drag our join point (and everyone's requests) into the future.
#pragma once

#include <optional>
#include <utility>

#include "common/core/ids.hpp"
#include "common/core/time.hpp"

namespace p2pls::peer {

class LiveEdge {
  public:
    explicit LiveEdge(Duration chunk_duration) : chunk_duration_(chunk_duration) {}

    // A seq someone says exists (a tracker reply, a buffer map's live edge, a Have).
    // `trusted`: the tracker or the source. Returns false when the claim was refused as
    // too far ahead (the edge is unchanged); true otherwise, moved or not.
    bool observe(ChunkSeq seq, bool trusted, TimePoint now);

    // Origin mode: we produced `seq` ourselves.
    void publish(ChunkSeq seq);

    // The newest seq believed to exist; empty until someone said.
    [[nodiscard]] std::optional<ChunkSeq> value() const noexcept { return edge_; }

    // Where the edge should be by `now`: the anchor plus one seq per elapsed chunk
    // duration; without an anchor, the edge as it is.
    [[nodiscard]] std::optional<ChunkSeq> expected(TimePoint now) const;

    // When `seq` was published at the source, as the anchor implies; empty without an
    // anchor or for a seq past it.
    [[nodiscard]] std::optional<TimePoint> published_at(ChunkSeq seq) const;

  private:
    Duration chunk_duration_;
    std::optional<ChunkSeq> edge_;
    std::optional<std::pair<ChunkSeq, TimePoint>> anchor_;  // trusted (seq, when heard)
};

}  // namespace p2pls::peer
