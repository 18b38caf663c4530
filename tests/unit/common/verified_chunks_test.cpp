// The shared memo of verified chunks: a chunk identical to one that verified is accepted
// without a second signature check; any changed byte, key, channel or epoch is checked
// for real and refused; forged chunks are never remembered; the memo stays bounded.
#include "common/core/verified_chunks.hpp"

#include <gtest/gtest.h>

#include "p2pls/peer.pb.h"

namespace p2pls {
namespace {

KeyPair keys(unsigned char fill) {
    KeySeed seed;
    seed.fill(fill);
    return keypair_from_seed(seed);
}

wire::Chunk signed_chunk(const KeyPair& k, std::uint64_t seq, const SourceEpoch& epoch = {}) {
    wire::Chunk c;
    c.set_seq(seq);
    c.set_timestamp_us(static_cast<std::int64_t>(seq) * 1'000'000);
    c.set_duration_us(1'000'000);
    c.set_payload(std::string(4096, static_cast<char>('a' + seq % 26)));
    sign_chunk(k.secret_key, "live", c, epoch);
    return c;
}

TEST(VerifiedChunks, TheSameChunkIsCheckedOnce) {
    const auto k = keys(1);
    VerifiedChunks memo;
    const auto chunk = signed_chunk(k, 7);
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(memo.verify(k.public_key, "live", chunk, {}).has_value());
    }
    EXPECT_EQ(memo.checks(), 1U);
    EXPECT_EQ(memo.hits(), 4U);
}

TEST(VerifiedChunks, AnyChangedSignedByteIsCheckedAndRefused) {
    const auto k = keys(1);
    VerifiedChunks memo;
    const auto good = signed_chunk(k, 7);
    ASSERT_TRUE(memo.verify(k.public_key, "live", good, {}).has_value());

    // The good chunk's signature on other bytes: each is a real check, each fails.
    auto payload = good;
    std::string bytes = payload.payload();
    bytes[100] ^= 1;
    payload.set_payload(bytes);
    auto seq = good;
    seq.set_seq(8);
    auto stamp = good;
    stamp.set_timestamp_us(good.timestamp_us() + 1);
    auto duration = good;
    duration.set_duration_us(good.duration_us() + 1);
    for (const wire::Chunk* forged : {&payload, &seq, &stamp, &duration}) {
        EXPECT_FALSE(memo.verify(k.public_key, "live", *forged, {}).has_value());
    }
    EXPECT_FALSE(memo.verify(keys(2).public_key, "live", good, {}).has_value()) << "other key";
    EXPECT_FALSE(memo.verify(k.public_key, "news", good, {}).has_value()) << "other channel";
    SourceEpoch other{};
    other[0] = 1;
    EXPECT_FALSE(memo.verify(k.public_key, "live", good, other).has_value()) << "other epoch";
    EXPECT_EQ(memo.hits(), 0U);
    EXPECT_EQ(memo.size(), 1U) << "nothing forged is remembered";
    // And the forged ones stay refused when asked again.
    EXPECT_FALSE(memo.verify(k.public_key, "live", payload, {}).has_value());
    EXPECT_TRUE(memo.verify(k.public_key, "live", good, {}).has_value());
}

TEST(VerifiedChunks, StaysBoundedOldestForgotten) {
    const auto k = keys(3);
    VerifiedChunks memo(4);
    for (std::uint64_t seq = 0; seq < 10; ++seq) {
        ASSERT_TRUE(memo.verify(k.public_key, "live", signed_chunk(k, seq), {}).has_value());
    }
    EXPECT_EQ(memo.size(), 4U);
    const auto checks = memo.checks();
    EXPECT_TRUE(memo.verify(k.public_key, "live", signed_chunk(k, 9), {}).has_value());
    EXPECT_EQ(memo.checks(), checks) << "the newest is still remembered";
    EXPECT_TRUE(memo.verify(k.public_key, "live", signed_chunk(k, 0), {}).has_value());
    EXPECT_EQ(memo.checks(), checks + 1) << "the oldest was forgotten and checked again";
}

TEST(VerifiedChunks, WithoutAMemoEveryChunkIsCheckedAsBefore) {
    const auto k = keys(4);
    auto c = signed_chunk(k, 1);
    EXPECT_TRUE(verify_chunk(nullptr, k.public_key, "live", c, {}).has_value());
    c.set_seq(2);
    EXPECT_FALSE(verify_chunk(nullptr, k.public_key, "live", c, {}).has_value());
}

}  // namespace
}  // namespace p2pls
