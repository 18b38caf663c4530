// Ed25519 signing of chunks (DESIGN.md §2). The signature covers
// (channel, source epoch, seq, timestamp, duration, BLAKE2b-256(payload)), so a chunk
// cannot be replayed into another channel, slot or run of the source (each run draws a
// new epoch and announces it signed: common/core/announce_signature.hpp), and any changed
// byte fails verification.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/core/ids.hpp"

namespace p2pls {

namespace wire {
class Chunk;
}

using PublicKey = std::array<unsigned char, 32>;
using SecretKey = std::array<unsigned char, 64>;
using KeySeed = std::array<unsigned char, 32>;
using Signature = std::array<unsigned char, 64>;
// A random id per run of the source. All-zero is the epoch of tools and simulations that
// run one source forever (the netsim swarm, unit tests).
using SourceEpoch = std::array<unsigned char, 16>;

struct KeyPair {
    PublicKey public_key{};
    SecretKey secret_key{};
};

// The fields of a chunk that the signature covers besides the payload.
struct ChunkHeader {
    ChunkSeq seq;
    std::int64_t timestamp_us = 0;
    std::uint32_t duration_us = 0;
    friend bool operator==(const ChunkHeader&, const ChunkHeader&) = default;
};

// The signed header fields of a wire chunk.
ChunkHeader header_of(const wire::Chunk& chunk);

// Deterministic: the adapter supplies 32 random bytes (the core draws no randomness).
KeyPair keypair_from_seed(const KeySeed& seed);

// Parses a public key as it travels (tracker JSON, config): exactly 32 bytes.
Result<PublicKey> public_key_from_bytes(std::string_view bytes);

// Parses a public key as people write it (flags, config, the source's log line and its
// record folder's public_key.hex): 64 hex digits, or standard base64 of 32 bytes (as the
// tracker's JSON shows it). Surrounding whitespace is allowed; anything else is key_invalid.
Result<PublicKey> parse_public_key_text(std::string_view text);

Signature sign_chunk(const SecretKey& key, std::string_view channel, const ChunkHeader& header,
                     std::string_view payload, const SourceEpoch& epoch = {});

// Fails with signature_invalid on any mismatch (including a signature of the wrong size,
// and a chunk of another epoch than `epoch`).
Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const ChunkHeader& header,
                          std::string_view payload, std::string_view signature,
                          const SourceEpoch& epoch = {});

// Convenience for wire::Chunk: fills chunk.signature / checks it.
void sign_chunk(const SecretKey& key, std::string_view channel, wire::Chunk& chunk,
                const SourceEpoch& epoch = {});
Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const wire::Chunk& chunk,
                          const SourceEpoch& epoch = {});

}  // namespace p2pls
