// Signed source statements, the epoch in chunk signatures, and registration proofs.
#include "common/core/announce_signature.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "common/core/registration_proof.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls {
namespace {

KeyPair keys(unsigned char n) {
    KeySeed seed{};
    seed.fill(n);
    return keypair_from_seed(seed);
}

SourceStatement statement() {
    SourceStatement s;
    s.channel = "news";
    s.peer_id = "source-news";
    s.endpoint = "127.0.0.1:8100";
    s.epoch.fill(0x5a);
    s.live_edge = 42;
    s.timestamp_ms = 1'800'000'000'000;
    return s;
}

std::string bytes(const Signature& sig) {
    return {reinterpret_cast<const char*>(sig.data()), sig.size()};
}

TEST(AnnounceSignature, EveryFieldIsCoveredAndKindsDoNotCross) {
    const auto k = keys(1);
    const auto sig = bytes(sign_source_statement(k.secret_key, statement()));
    ASSERT_TRUE(verify_source_statement(k.public_key, statement(), sig));
    const std::function<void(SourceStatement&)> edits[] = {
        [](auto& s) { s.kind = SourceStatementKind::stopped; },
        [](auto& s) { s.channel = "newz"; },
        [](auto& s) { s.peer_id = "evil"; },
        [](auto& s) { s.endpoint = "127.0.0.1:8101"; },
        [](auto& s) { s.epoch[15] ^= 1; },
        [](auto& s) { s.live_edge = 43; },
        [](auto& s) { s.timestamp_ms += 1; },
        // Moving a byte between adjacent fields keeps the concatenation: lengths prevent it.
        [](auto& s) {
            s.channel = "newss";
            s.peer_id = "ource-news";
        },
    };
    for (const auto& edit : edits) {
        auto s = statement();
        edit(s);
        EXPECT_FALSE(verify_source_statement(k.public_key, s, sig));
    }
    EXPECT_FALSE(verify_source_statement(keys(2).public_key, statement(), sig));
    EXPECT_FALSE(verify_source_statement(k.public_key, statement(), sig.substr(1)));
}

TEST(AnnounceSignature, AChunkVerifiesOnlyInItsOwnEpoch) {
    const auto k = keys(3);
    SourceEpoch run1{};
    run1.fill(1);
    SourceEpoch run2{};
    run2.fill(2);
    wire::Chunk chunk;
    chunk.set_seq(5);
    chunk.set_timestamp_us(1000);
    chunk.set_duration_us(1'000'000);
    chunk.set_payload("media");
    sign_chunk(k.secret_key, "news", chunk, run1);
    EXPECT_TRUE(verify_chunk(k.public_key, "news", chunk, run1));
    EXPECT_FALSE(verify_chunk(k.public_key, "news", chunk, run2));
    EXPECT_FALSE(verify_chunk(k.public_key, "news", chunk));  // the all-zero epoch
}

TEST(AnnounceSignature, SkewHasNoOverflowAtTheExtremes) {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    EXPECT_TRUE(within_skew(1000, 1000, 0));
    EXPECT_TRUE(within_skew(1000, 31'000, 30'000));
    EXPECT_FALSE(within_skew(1000, 31'001, 30'000));
    EXPECT_FALSE(within_skew(31'001, 1000, 30'000));
    EXPECT_FALSE(within_skew(kMax, kMin, 30'000));
    EXPECT_FALSE(within_skew(kMin, kMax, 30'000));
    EXPECT_TRUE(within_skew(kMax, kMax, 0));
    EXPECT_FALSE(within_skew(0, 0, -1));
}

TEST(PublicKeyText, HexAndBase64OnlyExactly32Bytes) {
    const auto k = keys(4).public_key;
    std::string hex;
    for (const unsigned char b : k) {
        static constexpr char d[] = "0123456789abcdef";
        hex += d[b >> 4];
        hex += d[b & 15];
    }
    EXPECT_EQ(*parse_public_key_text(" " + hex + "\n"), k);
    EXPECT_EQ(*parse_public_key_text("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="), [] {
        PublicKey p{};
        p.fill(1);
        return p;
    }());
    for (const std::string& bad : {std::string(), hex.substr(2), hex + "00", "zz" + hex.substr(2),
                                   std::string("AQEB"), std::string("not a key at all")}) {
        EXPECT_FALSE(parse_public_key_text(bad)) << bad;
    }
}

TEST(RegistrationProof, ProvesKeyTimeAndBodyWithoutTheKey) {
    RegistrationKey key{};
    key.fill(9);
    const std::string body = R"({"url":"http://127.0.0.1:8300"})";
    const std::string proof = make_registration_proof(key, 1000, body);
    EXPECT_EQ(proof.find(format_registration_key(key).substr(0, 16)), std::string::npos);
    EXPECT_TRUE(check_registration_proof(key, 1000, body, proof));
    EXPECT_FALSE(check_registration_proof(key, 1001, body, proof));
    EXPECT_FALSE(check_registration_proof(key, 1000, body + " ", proof));
    RegistrationKey other = key;
    other[0] ^= 1;
    EXPECT_FALSE(check_registration_proof(other, 1000, body, proof));
    EXPECT_FALSE(check_registration_proof(key, 1000, body, proof.substr(1)));
    EXPECT_FALSE(check_registration_proof(key, 1000, body, "!!"));
    EXPECT_EQ(parse_registration_key(format_registration_key(key)), key);
    EXPECT_FALSE(parse_registration_key("12"));
}

}  // namespace
}  // namespace p2pls
