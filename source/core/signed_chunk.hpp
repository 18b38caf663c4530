// From a chunk the chunker produced to the wire::Chunk that peers receive, signed with
// the channel key (common/core/chunk_signature.hpp), and the key-file text format.
#pragma once

#include <string>
#include <string_view>

#include "common/core/chunk_signature.hpp"
#include "common/core/errc.hpp"
#include "p2pls/peer.pb.h"
#include "source/core/chunker.hpp"

namespace p2pls::source {

// Moves the payload out of `chunk` into a wire::Chunk signed for this run of the source
// (`epoch`: the signature covers it, so the chunk verifies in no other run).
wire::Chunk make_signed_chunk(ProducedChunk&& chunk, const SecretKey& key, std::string_view channel,
                              const SourceEpoch& epoch = {});

// Lower-case hex of any bytes (signatures and public keys in logs and the record index).
std::string to_hex(std::string_view bytes);
template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& bytes) {
    return to_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}

// A key file holds the 32-byte Ed25519 seed as 64 hex digits (surrounding whitespace
// allowed). Anything else is key_invalid.
Result<KeySeed> parse_key_file(std::string_view text);
std::string format_key_file(const KeySeed& seed);

}  // namespace p2pls::source
