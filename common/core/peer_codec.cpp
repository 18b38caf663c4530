#include "common/core/peer_codec.hpp"

#include <limits>

#include "common/core/frame_codec.hpp"

namespace p2pls {

FrameLimits peer_frame_limits() {
    // A length-delimited field's tag: field number << 3 | wire type 2. The oneof is the
    // message's only field, so an encoded Chunk message starts with this byte.
    constexpr unsigned kLengthDelimited = 2;
    constexpr auto kChunkTag =
        static_cast<unsigned char>((wire::PeerMessage::kChunkFieldNumber << 3) | kLengthDelimited);
    static_assert(wire::PeerMessage::kChunkFieldNumber < 16, "the tag must fit one byte");
    return FrameLimits{kDefaultMaxFrameBytes, kMaxControlFrameBytes, kChunkTag};
}

std::string encode_peer_frame(const wire::PeerMessage& message) {
    std::string body;
    message.SerializeToString(&body);
    std::string frame;
    frame.reserve(kFrameHeaderBytes + body.size());
    append_frame(frame, body);
    return frame;
}

Result<wire::PeerMessage> parse_peer_message(std::string_view body) {
    wire::PeerMessage message;
    if (body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        !message.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
        message.body_case() == wire::PeerMessage::BODY_NOT_SET) {
        return make_error_code(Errc::message_malformed);
    }
    return message;
}

bool is_media(const wire::PeerMessage& message) noexcept {
    return message.body_case() == wire::PeerMessage::kChunk;
}

}  // namespace p2pls
