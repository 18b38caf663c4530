#include "peer/core/traffic.hpp"

#include "common/core/frame_codec.hpp"

namespace p2pls::peer {
namespace {

std::uint64_t varint_bytes(std::uint64_t v) {
    std::uint64_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

}  // namespace

std::uint64_t frame_bytes(const wire::PeerMessage& message) {
    return kFrameHeaderBytes + message.ByteSizeLong();
}

std::uint64_t chunk_frame_bytes(const wire::Chunk& chunk) {
    const std::uint64_t body = chunk.ByteSizeLong();
    // PeerMessage field 5 (chunk): one tag byte, the length varint, the body.
    return kFrameHeaderBytes + 1 + varint_bytes(body) + body;
}

}  // namespace p2pls::peer
