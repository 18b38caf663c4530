#include "common/core/chunk_signature.hpp"

#include <gtest/gtest.h>

#include "p2pls/peer.pb.h"

namespace p2pls {
namespace {

KeyPair test_keys(unsigned char fill) {
    KeySeed seed;
    seed.fill(fill);
    return keypair_from_seed(seed);
}

wire::Chunk test_chunk() {
    wire::Chunk chunk;
    chunk.set_seq(1234);
    chunk.set_timestamp_us(5'000'000);
    chunk.set_duration_us(1'000'000);
    std::string payload(188 * 4, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>(i * 31);
    }
    chunk.set_payload(payload);
    return chunk;
}

TEST(ChunkSignature, SignedChunkVerifies) {
    const auto keys = test_keys(1);
    auto chunk = test_chunk();
    sign_chunk(keys.secret_key, "news", chunk);
    EXPECT_EQ(chunk.signature().size(), 64u);
    EXPECT_TRUE(verify_chunk(keys.public_key, "news", chunk).has_value());
}

TEST(ChunkSignature, SeedIsDeterministic) {
    EXPECT_EQ(test_keys(7).public_key, test_keys(7).public_key);
    EXPECT_NE(test_keys(7).public_key, test_keys(8).public_key);
}

TEST(ChunkSignature, EveryPayloadBitFlipFails) {
    const auto keys = test_keys(2);
    auto chunk = test_chunk();
    sign_chunk(keys.secret_key, "news", chunk);
    const std::string original = chunk.payload();
    for (std::size_t byte = 0; byte < original.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string changed = original;
            changed[byte] = static_cast<char>(changed[byte] ^ (1 << bit));
            chunk.set_payload(changed);
            ASSERT_FALSE(verify_chunk(keys.public_key, "news", chunk).has_value())
                << "byte " << byte << " bit " << bit;
        }
    }
}

TEST(ChunkSignature, EveryHeaderBitFlipFails) {
    const auto keys = test_keys(3);
    const auto chunk = test_chunk();
    ChunkHeader header{ChunkSeq{chunk.seq()}, chunk.timestamp_us(), chunk.duration_us()};
    const Signature sig = sign_chunk(keys.secret_key, "news", header, chunk.payload());
    const std::string sig_bytes(reinterpret_cast<const char*>(sig.data()), sig.size());
    for (int bit = 0; bit < 64; ++bit) {
        auto h = header;
        h.seq = ChunkSeq{header.seq.value() ^ (std::uint64_t{1} << bit)};
        EXPECT_FALSE(verify_chunk(keys.public_key, "news", h, chunk.payload(), sig_bytes));
        h = header;
        h.timestamp_us ^= std::int64_t{1} << bit;
        EXPECT_FALSE(verify_chunk(keys.public_key, "news", h, chunk.payload(), sig_bytes));
    }
    for (int bit = 0; bit < 32; ++bit) {
        auto h = header;
        h.duration_us ^= 1U << bit;
        EXPECT_FALSE(verify_chunk(keys.public_key, "news", h, chunk.payload(), sig_bytes));
    }
    EXPECT_FALSE(verify_chunk(keys.public_key, "newz", header, chunk.payload(), sig_bytes));
    EXPECT_TRUE(verify_chunk(keys.public_key, "news", header, chunk.payload(), sig_bytes));
}

TEST(ChunkSignature, EverySignatureBitFlipFails) {
    const auto keys = test_keys(4);
    auto chunk = test_chunk();
    sign_chunk(keys.secret_key, "news", chunk);
    const std::string sig = chunk.signature();
    for (std::size_t byte = 0; byte < sig.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string changed = sig;
            changed[byte] = static_cast<char>(changed[byte] ^ (1 << bit));
            chunk.set_signature(changed);
            ASSERT_FALSE(verify_chunk(keys.public_key, "news", chunk).has_value());
        }
    }
}

TEST(ChunkSignature, WrongKeyFails) {
    auto chunk = test_chunk();
    sign_chunk(test_keys(5).secret_key, "news", chunk);
    const auto result = verify_chunk(test_keys(6).public_key, "news", chunk);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(Errc::signature_invalid));
}

TEST(ChunkSignature, TruncatedSignatureFails) {
    const auto keys = test_keys(9);
    auto chunk = test_chunk();
    sign_chunk(keys.secret_key, "news", chunk);
    chunk.mutable_signature()->pop_back();
    EXPECT_FALSE(verify_chunk(keys.public_key, "news", chunk).has_value());
    chunk.clear_signature();
    EXPECT_FALSE(verify_chunk(keys.public_key, "news", chunk).has_value());
}

TEST(ChunkSignature, PublicKeyParsingChecksLength) {
    EXPECT_TRUE(public_key_from_bytes(std::string(32, 'k')).has_value());
    EXPECT_EQ(public_key_from_bytes(std::string(31, 'k')).error(),
              make_error_code(Errc::key_invalid));
    EXPECT_EQ(public_key_from_bytes(std::string(33, 'k')).error(),
              make_error_code(Errc::key_invalid));
}

}  // namespace
}  // namespace p2pls
