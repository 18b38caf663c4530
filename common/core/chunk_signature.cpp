#include "common/core/chunk_signature.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

#include "common/core/base64.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls {
namespace {

// Domain separation: these bytes never start any other message this key signs
// (v2: the source epoch follows the channel name).
constexpr std::string_view kDomain = "p2pls/chunk/v2";

void ensure_sodium() {
    // sodium_init is idempotent and thread-safe; it fails only without a usable RNG.
    static const int status = sodium_init();
    if (status < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

void put_be(std::string& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
}

// The exact bytes that get signed.
std::string signed_message(std::string_view channel, const ChunkHeader& header,
                           std::string_view payload, const SourceEpoch& epoch) {
    std::array<unsigned char, crypto_generichash_BYTES> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                       nullptr, 0);
    std::string msg;
    msg.reserve(kDomain.size() + 4 + channel.size() + epoch.size() + 20 + digest.size());
    msg.append(kDomain);
    put_be(msg, channel.size(), 4);
    msg.append(channel);
    msg.append(reinterpret_cast<const char*>(epoch.data()), epoch.size());
    put_be(msg, header.seq.value(), 8);
    put_be(msg, static_cast<std::uint64_t>(header.timestamp_us), 8);
    put_be(msg, header.duration_us, 4);
    msg.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return msg;
}

}  // namespace

ChunkHeader header_of(const wire::Chunk& chunk) {
    return {ChunkSeq{chunk.seq()}, chunk.timestamp_us(), chunk.duration_us()};
}

KeyPair keypair_from_seed(const KeySeed& seed) {
    ensure_sodium();
    KeyPair pair;
    crypto_sign_seed_keypair(pair.public_key.data(), pair.secret_key.data(), seed.data());
    return pair;
}

Result<PublicKey> public_key_from_bytes(std::string_view bytes) {
    PublicKey key{};
    if (bytes.size() != key.size()) {
        return make_error_code(Errc::key_invalid);
    }
    std::memcpy(key.data(), bytes.data(), key.size());
    return key;
}

Result<PublicKey> parse_public_key_text(std::string_view text) {
    const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!text.empty() && space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && space(text.back())) {
        text.remove_suffix(1);
    }
    PublicKey key{};
    if (text.size() == 2 * key.size()) {
        std::string bytes(key.size(), '\0');
        if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(),
                           text.data(), text.size(), nullptr, nullptr, nullptr) == 0) {
            return public_key_from_bytes(bytes);
        }
        return make_error_code(Errc::key_invalid);
    }
    if (const auto bytes = base64_decode(text, Base64::standard)) {
        return public_key_from_bytes(*bytes);
    }
    return make_error_code(Errc::key_invalid);
}

Signature sign_chunk(const SecretKey& key, std::string_view channel, const ChunkHeader& header,
                     std::string_view payload, const SourceEpoch& epoch) {
    ensure_sodium();
    const std::string msg = signed_message(channel, header, payload, epoch);
    Signature sig{};
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()),
                         msg.size(), key.data());
    return sig;
}

Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const ChunkHeader& header,
                          std::string_view payload, std::string_view signature,
                          const SourceEpoch& epoch) {
    ensure_sodium();
    if (signature.size() != crypto_sign_BYTES) {
        return make_error_code(Errc::signature_invalid);
    }
    const std::string msg = signed_message(channel, header, payload, epoch);
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                    key.data()) != 0) {
        return make_error_code(Errc::signature_invalid);
    }
    return {};
}

void sign_chunk(const SecretKey& key, std::string_view channel, wire::Chunk& chunk,
                const SourceEpoch& epoch) {
    const Signature sig = sign_chunk(key, channel, header_of(chunk), chunk.payload(), epoch);
    chunk.set_signature(reinterpret_cast<const char*>(sig.data()), sig.size());
}

Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const wire::Chunk& chunk,
                          const SourceEpoch& epoch) {
    return verify_chunk(key, channel, header_of(chunk), chunk.payload(), chunk.signature(), epoch);
}

}  // namespace p2pls
