// PeerMessage <-> frame bodies: the typed layer over frame_codec.hpp.
#pragma once

#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/core/frame_codec.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls {

// Current peer wire protocol version, sent in Hello. 2: the source proves the channel key
// on every connection (Hello.nonce, SourceProof); a version-1 source could not.
inline constexpr std::uint32_t kWireVersion = 2;

// Control messages (everything but Chunk) are small: the largest, a buffer map of the
// widest window with a range token, is under 2 KiB.
inline constexpr std::size_t kMaxControlFrameBytes = 64 * 1024;

// The peer wire's frame caps: a frame over kMaxControlFrameBytes must be a Chunk (its
// body starts with PeerMessage.chunk's field tag, as every encoder writes it).
FrameLimits peer_frame_limits();

// One complete frame (length prefix included) carrying `message`.
std::string encode_peer_frame(const wire::PeerMessage& message);

// Parses a frame body. Fails with message_malformed when the bytes are not a
// PeerMessage or carry no body.
Result<wire::PeerMessage> parse_peer_message(std::string_view body);

// True for the messages that carry media (Chunk); everything else is control traffic.
bool is_media(const wire::PeerMessage& message) noexcept;

}  // namespace p2pls
