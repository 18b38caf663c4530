#include "peer/core/chunk_store.hpp"

namespace p2pls::peer {

ChunkStore::ChunkStore(std::uint32_t window, ChunkSeq base) : held_(window, base) {}

bool ChunkStore::insert(std::shared_ptr<const wire::Chunk> chunk) {
    const ChunkSeq seq{chunk->seq()};
    if (!held_.in_window(seq) || held_.test(seq)) {
        return false;
    }
    held_.set(seq);
    chunks_.emplace(seq, std::move(chunk));
    return true;
}

std::shared_ptr<const wire::Chunk> ChunkStore::get(ChunkSeq seq) const {
    const auto it = chunks_.find(seq);
    return it == chunks_.end() ? nullptr : it->second;
}

void ChunkStore::slide_to(ChunkSeq base) {
    held_.slide_to(base);
    const ChunkSeq end = held_.end();
    std::erase_if(chunks_,
                  [&](const auto& entry) { return entry.first < base || entry.first >= end; });
}

}  // namespace p2pls::peer
