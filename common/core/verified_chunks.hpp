// A memo of chunks whose signatures verified, for many engines in one process (the
// simulator's swarm: thousands of real engines, each checking every chunk). A chunk equal
// in every signed byte (key, channel, epoch, header, payload) to one verified before is
// valid without a second Ed25519 check; anything else is verified for real. The memo
// compares the payload byte for byte, so it trusts no hash, and it only remembers chunks
// that passed, so a forged chunk is checked (and refused) every time.
//
// Bounded: the oldest of `capacity` entries is forgotten. Not thread-safe: one per thread.
// A peer process verifies each chunk once anyway and has no use for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/core/chunk_signature.hpp"

namespace p2pls {

class VerifiedChunks {
  public:
    explicit VerifiedChunks(std::size_t capacity = 1024)
        : capacity_(capacity == 0 ? 1 : capacity) {}

    // As verify_chunk().
    Result<void> verify(const PublicKey& key, std::string_view channel, const wire::Chunk& chunk,
                        const SourceEpoch& epoch);

    [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
    [[nodiscard]] std::uint64_t checks() const noexcept { return checks_; }
    [[nodiscard]] std::size_t size() const noexcept { return by_signature_.size(); }

  private:
    struct Entry {
        PublicKey key;
        std::string channel;
        SourceEpoch epoch;
        ChunkHeader header;
        std::string payload;
    };

    std::size_t capacity_;
    std::unordered_map<std::string, Entry> by_signature_;
    std::deque<std::string> order_;  // signatures, oldest first
    std::uint64_t hits_ = 0;
    std::uint64_t checks_ = 0;
};

// verify_chunk() through `memo` when there is one.
inline Result<void> verify_chunk(VerifiedChunks* memo, const PublicKey& key,
                                 std::string_view channel, const wire::Chunk& chunk,
                                 const SourceEpoch& epoch) {
    return memo ? memo->verify(key, channel, chunk, epoch)
                : verify_chunk(key, channel, chunk, epoch);
}

}  // namespace p2pls
