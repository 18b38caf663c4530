#include "source/core/options.hpp"

#include <gtest/gtest.h>

#include "source/core/signed_chunk.hpp"
#include "tests/unit/source/ts_builder.hpp"

namespace p2pls::source {
namespace {

TEST(EncodeSettings, ValidatesRanges) {
    std::string why;
    EXPECT_TRUE(validate(EncodeSettings{}, why).has_value());
    EXPECT_FALSE(validate(EncodeSettings{.bitrate_kbps = 0}, why).has_value());
    EXPECT_NE(why.find("--bitrate"), std::string::npos);
    EXPECT_FALSE(validate(EncodeSettings{.width = 641}, why).has_value());
    EXPECT_FALSE(validate(EncodeSettings{.fps = 0}, why).has_value());
    EXPECT_FALSE(validate(EncodeSettings{.chunk_ms = 10}, why).has_value());
}

TEST(EncodeSettings, KeyIntervalMatchesChunks) {
    EXPECT_EQ(key_interval_frames({.fps = 25, .chunk_ms = 1000}), 25u);
    EXPECT_EQ(key_interval_frames({.fps = 30, .chunk_ms = 500}), 15u);
    EXPECT_EQ(key_interval_frames({.fps = 1, .chunk_ms = 100}), 1u);
}

TEST(KeyFile, RoundTripsAndRejectsJunk) {
    KeySeed seed;
    for (std::size_t i = 0; i < seed.size(); ++i) {
        seed[i] = static_cast<unsigned char>(i * 7);
    }
    const std::string text = format_key_file(seed);
    EXPECT_EQ(text.size(), 65u);
    EXPECT_EQ(parse_key_file(text).value(), seed);
    EXPECT_EQ(parse_key_file("  " + text + "\n").value(), seed);
    EXPECT_FALSE(parse_key_file(text.substr(0, 62)).has_value());
    EXPECT_FALSE(parse_key_file(std::string(64, 'g')).has_value());
    EXPECT_FALSE(parse_key_file("").has_value());
}

TEST(SignedChunk, VerifiesAndAnySingleBitChangeFails) {
    testing::TsBuilder b;
    TsChunker chunker({});
    chunker.push(b.stream({.frames = 30, .gop = 25, .audio = false, .frame_packets = 1}));
    auto chunks = chunker.take_chunks();
    ASSERT_EQ(chunks.size(), 1u);
    KeySeed seed{};
    seed.fill(9);
    const auto keys = keypair_from_seed(seed);
    const auto chunk = make_signed_chunk(std::move(chunks[0]), keys.secret_key, "live");
    ASSERT_TRUE(verify_chunk(keys.public_key, "live", chunk).has_value());
    EXPECT_FALSE(verify_chunk(keys.public_key, "other", chunk).has_value());
    const std::string payload = chunk.payload();
    for (std::size_t bit = 0; bit < payload.size() * 8; ++bit) {
        auto changed = chunk;
        std::string p = payload;
        p[bit / 8] = static_cast<char>(p[bit / 8] ^ (1 << (bit % 8)));
        changed.set_payload(p);
        ASSERT_FALSE(verify_chunk(keys.public_key, "live", changed).has_value()) << bit;
    }
    for (int bit = 0; bit < 64; ++bit) {
        auto changed = chunk;
        changed.set_seq(chunk.seq() ^ (std::uint64_t{1} << bit));
        EXPECT_FALSE(verify_chunk(keys.public_key, "live", changed).has_value());
        changed = chunk;
        changed.set_timestamp_us(chunk.timestamp_us() ^ (std::int64_t{1} << bit));
        EXPECT_FALSE(verify_chunk(keys.public_key, "live", changed).has_value());
    }
    for (int bit = 0; bit < 32; ++bit) {
        auto changed = chunk;
        changed.set_duration_us(chunk.duration_us() ^ (1u << bit));
        EXPECT_FALSE(verify_chunk(keys.public_key, "live", changed).has_value());
    }
    for (std::size_t bit = 0; bit < 64 * 8; ++bit) {
        auto changed = chunk;
        std::string sig = chunk.signature();
        sig[bit / 8] = static_cast<char>(sig[bit / 8] ^ (1 << (bit % 8)));
        changed.set_signature(sig);
        EXPECT_FALSE(verify_chunk(keys.public_key, "live", changed).has_value());
    }
}

TEST(Hex, Lowercase) {
    EXPECT_EQ(to_hex(std::string_view("\x00\xff\x1a", 3)), "00ff1a");
}

}  // namespace
}  // namespace p2pls::source
