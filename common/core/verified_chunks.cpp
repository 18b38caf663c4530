#include "common/core/verified_chunks.hpp"

#include "p2pls/peer.pb.h"

namespace p2pls {

Result<void> VerifiedChunks::verify(const PublicKey& key, std::string_view channel,
                                    const wire::Chunk& chunk, const SourceEpoch& epoch) {
    const ChunkHeader header = header_of(chunk);
    if (const auto it = by_signature_.find(chunk.signature()); it != by_signature_.end()) {
        const Entry& e = it->second;
        if (e.key == key && e.channel == channel && e.epoch == epoch && e.header == header &&
            e.payload == chunk.payload()) {
            ++hits_;
            return {};
        }
    }
    ++checks_;
    if (auto ok = verify_chunk(key, channel, chunk, epoch); !ok) {
        return ok;
    }
    // A signature verifies for one message only, so a second entry under the same
    // signature would be the same chunk: keep the first.
    const auto [it, inserted] = by_signature_.try_emplace(
        chunk.signature(), Entry{key, std::string(channel), epoch, header, chunk.payload()});
    if (inserted) {
        order_.push_back(it->first);
        if (order_.size() > capacity_) {
            by_signature_.erase(order_.front());
            order_.pop_front();
        }
    }
    return {};
}

}  // namespace p2pls
