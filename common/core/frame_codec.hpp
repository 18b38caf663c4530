// Sans-IO framing for the peer wire: a 4-byte big-endian length, then the body.
// The decoder accepts input in any split (byte by byte or many frames at once) and
// checks every length prefix against a cap before buffering the body, so a hostile
// length never causes an allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kDefaultMaxFrameBytes = 4 * 1024 * 1024;

// The caps a decoder checks each length prefix against. A protocol whose bulk frames are
// told apart by their first body byte (the peer wire: a Chunk's field tag) gives every
// other frame a lower cap, so control messages cannot make a peer buffer megabytes.
struct FrameLimits {
    std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
    std::size_t max_control_frame_bytes = kDefaultMaxFrameBytes;
    std::optional<unsigned char> bulk_first_byte;  // none: every frame may be bulk
};

// Appends one frame carrying `body` to `out`. `body` must be shorter than 4 GiB.
void append_frame(std::string& out, std::string_view body);

class FrameDecoder {
  public:
    explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);
    explicit FrameDecoder(const FrameLimits& limits);

    // Appends bytes received from the stream. Ignored once the decoder has failed.
    void feed(std::string_view bytes);

    // The next complete frame body; nullopt when more input is needed. A length above
    // the cap (frame_too_large: for a length above the control cap, known once the body's
    // first byte is in) or a zero length (frame_empty) fails the decoder for
    // good: the stream has lost framing and the connection must close.
    Result<std::optional<std::string>> next();

    // Bytes held but not yet returned as frames.
    [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffer_.size() - head_; }
    [[nodiscard]] bool failed() const noexcept { return failure_ != Errc::ok; }

  private:
    FrameLimits limits_;
    std::string buffer_;
    std::size_t head_ = 0;  // bytes of buffer_ already consumed
    Errc failure_ = Errc::ok;
};

}  // namespace p2pls
