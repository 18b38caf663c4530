// The bytes of a DECADE object in DECADE mode: k consecutive signed chunks, each
// as a frame of a 4-byte big-endian length and a serialized wire::Chunk (the same framing
// as the peer wire). The chunks keep the source's signatures, so whoever fetches the
// object verifies every chunk in it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/errc.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::peer {

inline constexpr std::size_t kMaxObjectChunks = 64;
inline constexpr std::size_t kMaxObjectChunkBytes = 4 * 1024 * 1024;

std::string encode_object(const std::vector<std::shared_ptr<const wire::Chunk>>& chunks);

// Fails with message_malformed on a truncated frame, a frame above the cap, a chunk that
// does not parse, more than `max_chunks` chunks, or no chunk at all.
Result<std::vector<wire::Chunk>> decode_object(std::string_view data,
                                               std::size_t max_chunks = kMaxObjectChunks);

}  // namespace p2pls::peer
