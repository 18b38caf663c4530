// An HTTP Range request header (RFC 9110 §14) against a body of known size, for servers
// that answer ranges: BitTorrent web seeds (BEP 19) and download tools ask a stored file
// a piece at a time. One range of bytes is served; what the RFC lets a server ignore
// (another unit, several ranges, a malformed header) is answered with the whole body, as
// a server without range support would. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace p2pls::http {

struct ByteRange {
    enum class Kind {
        whole,          // no usable Range header: 200 with the whole body
        part,           // 206 with bytes first .. first + length - 1
        unsatisfiable,  // 416, with Content-Range "bytes */<size>"
    };
    Kind kind = Kind::whole;
    std::uint64_t first = 0;
    std::uint64_t length = 0;  // bytes served: the size for whole, 0 for unsatisfiable
};

// The answer to `header` (the Range header's value, empty when absent) for a body of
// `size` bytes. "bytes=a-b", "bytes=a-" and "bytes=-n" (the last n bytes) are honoured;
// a last position past the end is cut to the end.
ByteRange byte_range(std::string_view header, std::uint64_t size);

// The Content-Range header of a part or unsatisfiable answer: "bytes 0-99/1000", "bytes
// */1000".
std::string content_range(const ByteRange& range, std::uint64_t size);

}  // namespace p2pls::http
