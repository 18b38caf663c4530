// Base64 (RFC 4648) in the two forms the project speaks:
//   - Base64::standard: alphabet A-Z a-z 0-9 + /, padded with '=' to a multiple of four
//     (§4). Protobuf's JSON mapping writes `bytes` fields this way.
//   - Base64::url: alphabet A-Z a-z 0-9 - _, no padding (§5). DECADE tokens travel in
//     HTTP headers and URLs this way.
// Decoding is strict so that exactly one text decodes to each byte string: only the
// variant's alphabet, padding exactly where (and only if) the variant requires it, and
// the unused low bits of the last character zero. Anything else is nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2pls {

enum class Base64 {
    standard,  // '+' '/', '=' padding (RFC 4648 §4)
    url,       // '-' '_', no padding (RFC 4648 §5)
};

// Appends the encoding of `bytes` to `out` (for writers that build a larger text).
void append_base64(std::string& out, std::string_view bytes, Base64 variant);

// The encoding of `bytes`.
std::string base64_encode(std::string_view bytes, Base64 variant);

// The bytes `text` encodes, or nullopt when it is not a canonical encoding in `variant`.
std::optional<std::string> base64_decode(std::string_view text, Base64 variant);

}  // namespace p2pls
