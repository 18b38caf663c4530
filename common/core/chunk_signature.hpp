// Ed25519 signing of chunks (DESIGN.md §2). The signature covers
// (channel, seq, timestamp, duration, BLAKE2b-256(payload)), so a chunk cannot be
// replayed into another channel or slot, and any changed byte fails verification.
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

struct KeyPair {
    PublicKey public_key{};
    SecretKey secret_key{};
};

// The fields of a chunk that the signature covers besides the payload.
struct ChunkHeader {
    ChunkSeq seq;
    std::int64_t timestamp_us = 0;
    std::uint32_t duration_us = 0;
};

// Deterministic: the adapter supplies 32 random bytes (the core draws no randomness).
KeyPair keypair_from_seed(const KeySeed& seed);

// Parses a public key as it travels (tracker JSON, config): exactly 32 bytes.
Result<PublicKey> public_key_from_bytes(std::string_view bytes);

Signature sign_chunk(const SecretKey& key, std::string_view channel, const ChunkHeader& header,
                     std::string_view payload);

// Fails with signature_invalid on any mismatch (including a signature of the wrong size).
Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const ChunkHeader& header,
                          std::string_view payload, std::string_view signature);

// Convenience for wire::Chunk: fills chunk.signature / checks it.
void sign_chunk(const SecretKey& key, std::string_view channel, wire::Chunk& chunk);
Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const wire::Chunk& chunk);

}  // namespace p2pls
