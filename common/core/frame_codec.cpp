#include "common/core/frame_codec.hpp"

namespace p2pls {

void append_frame(std::string& out, std::string_view body) {
    const auto size = static_cast<std::uint32_t>(body.size());
    const char header[kFrameHeaderBytes] = {
        static_cast<char>((size >> 24) & 0xff), static_cast<char>((size >> 16) & 0xff),
        static_cast<char>((size >> 8) & 0xff), static_cast<char>(size & 0xff)};
    out.append(header, kFrameHeaderBytes);
    out.append(body);
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes)
    : limits_{max_frame_bytes, max_frame_bytes, std::nullopt} {}

FrameDecoder::FrameDecoder(const FrameLimits& limits) : limits_(limits) {}

void FrameDecoder::feed(std::string_view bytes) {
    if (failed()) {
        return;
    }
    // Compact before growing, so a long-lived connection never accumulates consumed bytes.
    if (head_ > 0 && head_ >= buffer_.size() / 2) {
        buffer_.erase(0, head_);
        head_ = 0;
    }
    buffer_.append(bytes);
}

Result<std::optional<std::string>> FrameDecoder::next() {
    if (failed()) {
        return make_error_code(failure_);
    }
    const std::size_t available = buffer_.size() - head_;
    if (available < kFrameHeaderBytes) {
        return std::optional<std::string>{};
    }
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + head_);
    const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                               (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    if (length == 0) {
        failure_ = Errc::frame_empty;
        return make_error_code(failure_);
    }
    if (length > limits_.max_frame_bytes) {
        failure_ = Errc::frame_too_large;
        return make_error_code(failure_);
    }
    if (length > limits_.max_control_frame_bytes) {
        if (available == kFrameHeaderBytes) {
            return std::optional<std::string>{};  // its first byte says which cap applies
        }
        if (!limits_.bulk_first_byte || p[kFrameHeaderBytes] != *limits_.bulk_first_byte) {
            failure_ = Errc::frame_too_large;
            return make_error_code(failure_);
        }
    }
    if (available < kFrameHeaderBytes + length) {
        return std::optional<std::string>{};
    }
    std::string body = buffer_.substr(head_ + kFrameHeaderBytes, length);
    head_ += kFrameHeaderBytes + length;
    if (head_ == buffer_.size()) {
        buffer_.clear();
        head_ = 0;
    }
    return std::optional<std::string>{std::move(body)};
}

}  // namespace p2pls
