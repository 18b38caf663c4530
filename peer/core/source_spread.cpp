#include "peer/core/source_spread.hpp"

namespace p2pls::peer {

void SourceSpread::note_requested(ChunkSeq seq, TimePoint now) {
    Entry& e = chunks_[seq];
    e.last_requested = now;
    e.requested = true;
}

void SourceSpread::note_served(ChunkSeq seq) {
    ++chunks_[seq].copies;
}

bool SourceSpread::least_copied(ChunkSeq seq, TimePoint now) const {
    const std::uint32_t mine = copies(seq);
    for (const auto& [other, e] : chunks_) {
        if (e.copies < mine && e.requested && now - e.last_requested <= demand_window_) {
            return false;
        }
    }
    return true;
}

std::uint32_t SourceSpread::copies(ChunkSeq seq) const {
    const auto it = chunks_.find(seq);
    return it == chunks_.end() ? 0 : it->second.copies;
}

void SourceSpread::forget_before(ChunkSeq base) {
    chunks_.erase(chunks_.begin(), chunks_.lower_bound(base));
}

}  // namespace p2pls::peer
