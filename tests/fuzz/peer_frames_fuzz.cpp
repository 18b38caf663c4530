// The peer wire's framing and message parser, on a byte stream a hostile neighbour could
// send: the frame decoder fed in random splits, each frame then parsed as a PeerMessage.
//   - Split feeding gives exactly the frames (and the failure) that one whole feed gives.
//   - Once drained, the decoder holds at most one frame in progress.
//   - A frame over the control cap starts with the bulk byte (the peer wire's Chunk tag).
//   - A parsed message re-encodes (encode_peer_frame) to a frame that decodes and parses
//     to the same message.
#include <string>
#include <vector>

#include "common/core/frame_codec.hpp"
#include "common/core/peer_codec.hpp"
#include "p2pls/peer.pb.h"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

struct Decoded {
    std::vector<std::string> frames;
    bool failed = false;
};

template <class Feed>
Decoded decode(const p2pls::FrameLimits& limits, Feed&& feed_all) {
    const std::size_t cap = limits.max_frame_bytes;
    Decoded out;
    p2pls::FrameDecoder decoder(limits);
    feed_all([&](std::string_view piece) {
        decoder.feed(piece);
        while (true) {
            auto next = decoder.next();
            if (!next) {
                out.failed = true;
                return;
            }
            if (!next->has_value()) {
                // Drained: what is left is one frame in progress, never more.
                FUZZ_CHECK(decoder.buffered_bytes() < cap + p2pls::kFrameHeaderBytes);
                return;
            }
            out.frames.push_back(std::move(**next));
        }
    });
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::quiet_protobuf();
    p2pls::fuzz::FuzzInput in(data, size);
    const auto cap = static_cast<std::size_t>(in.in_range(1, 64 * 1024));
    p2pls::FrameLimits limits{cap, cap, std::nullopt};
    if (in.boolean()) {
        limits.max_control_frame_bytes = static_cast<std::size_t>(in.in_range(1, cap));
        limits.bulk_first_byte = p2pls::peer_frame_limits().bulk_first_byte;
    }
    std::uint32_t x = in.integral<std::uint32_t>() | 1U;
    const std::string_view stream = in.rest();

    const Decoded whole = decode(limits, [&](auto feed) { feed(stream); });
    const Decoded split = decode(limits, [&](auto feed) {
        for (std::size_t at = 0; at < stream.size();) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            const std::size_t n = std::min<std::size_t>(1 + x % 97, stream.size() - at);
            feed(stream.substr(at, n));
            at += n;
        }
    });
    FUZZ_CHECK(whole.failed == split.failed);
    FUZZ_CHECK(whole.frames == split.frames);

    for (const auto& body : whole.frames) {
        FUZZ_CHECK(!body.empty() && body.size() <= cap);
        FUZZ_CHECK(body.size() <= limits.max_control_frame_bytes ||
                   static_cast<unsigned char>(body[0]) == *limits.bulk_first_byte);
        const auto message = p2pls::parse_peer_message(body);
        if (!message) {
            continue;
        }
        const std::string frame = p2pls::encode_peer_frame(*message);
        p2pls::FrameDecoder again(frame.size());
        again.feed(frame);
        auto next = again.next();
        FUZZ_CHECK(next.has_value() && next->has_value());
        const auto reparsed = p2pls::parse_peer_message(**next);
        FUZZ_CHECK(reparsed.has_value());
        FUZZ_CHECK(reparsed->SerializeAsString() == message->SerializeAsString());
    }
    return 0;
}
