// PeerMessage <-> frame bodies: the typed layer over frame_codec.hpp.
#pragma once

#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls {

// Current peer wire protocol version, sent in Hello.
inline constexpr std::uint32_t kWireVersion = 1;

// One complete frame (length prefix included) carrying `message`.
std::string encode_peer_frame(const wire::PeerMessage& message);

// Parses a frame body. Fails with message_malformed when the bytes are not a
// PeerMessage or carry no body.
Result<wire::PeerMessage> parse_peer_message(std::string_view body);

// True for the messages that carry media (Chunk); everything else is control traffic.
bool is_media(const wire::PeerMessage& message) noexcept;

}  // namespace p2pls
