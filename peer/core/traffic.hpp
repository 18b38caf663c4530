// Byte and chunk counters of the QoE meter (DESIGN.md §5): every frame the engine sends
// or receives, split media (Chunk frames) / control, and chunk downloads by who sent them.
// Frame sizes are counted as they are on the wire: 4-byte length prefix + message.
#pragma once

#include <cstdint>

#include "p2pls/peer.pb.h"

namespace p2pls::peer {

struct Traffic {
    std::uint64_t upload_media_bytes = 0;
    std::uint64_t upload_control_bytes = 0;
    std::uint64_t download_media_bytes = 0;
    std::uint64_t download_control_bytes = 0;
    std::uint64_t bytes_from_source = 0;  // media bytes received from the source
    std::uint64_t bytes_from_peers = 0;   // media bytes received from other peers
    std::uint64_t chunks_rejected = 0;    // failed verification (never stored or played)
    std::uint64_t chunks_duplicate = 0;   // arrived after we already had them
    std::uint64_t chunks_served = 0;
    std::uint64_t requests_refused = 0;   // seqs answered with Busy
    std::uint64_t neighbors_dropped = 0;  // disconnects the engine decided
};

// Bytes a frame carrying `message` occupies on the wire.
std::uint64_t frame_bytes(const wire::PeerMessage& message);
// Bytes a frame carrying a PeerMessage{chunk} occupies on the wire.
std::uint64_t chunk_frame_bytes(const wire::Chunk& chunk);

}  // namespace p2pls::peer
