#include "peer/core/live_edge.hpp"

#include <algorithm>
#include <cstdint>

namespace p2pls::peer {

bool LiveEdge::observe(ChunkSeq seq, bool trusted, TimePoint now) {
    if (trusted) {
        if (!anchor_ || seq > anchor_->first) {
            anchor_ = {seq, now};
        }
    } else if (const auto e = expected(now)) {
        // A peer may not drag us past what the source can have produced by now.
        if (seq > *e + 2) {
            return false;
        }
    }
    if (!edge_ || seq > *edge_) {
        edge_ = seq;
    }
    return true;
}

void LiveEdge::publish(ChunkSeq seq) {
    if (!edge_ || seq > *edge_) {
        edge_ = seq;
    }
}

std::optional<ChunkSeq> LiveEdge::expected(TimePoint now) const {
    if (!anchor_) {
        return edge_;
    }
    const auto elapsed = now - anchor_->second;
    const auto chunks = elapsed.count() / std::max<std::int64_t>(chunk_duration_.count(), 1);
    return anchor_->first + static_cast<std::uint64_t>(std::max<std::int64_t>(chunks, 0));
}

std::optional<TimePoint> LiveEdge::published_at(ChunkSeq seq) const {
    if (!anchor_ || seq > anchor_->first) {
        return std::nullopt;
    }
    return anchor_->second - chunk_duration_ * static_cast<std::int64_t>(anchor_->first - seq);
}

}  // namespace p2pls::peer
