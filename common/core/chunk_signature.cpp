#include "common/core/chunk_signature.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

#include "p2pls/peer.pb.h"

namespace p2pls {
namespace {

// Domain separation: these bytes never start any other message this key signs.
constexpr std::string_view kDomain = "p2pls/chunk/v1";

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
                           std::string_view payload) {
    std::array<unsigned char, crypto_generichash_BYTES> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                       nullptr, 0);
    std::string msg;
    msg.reserve(kDomain.size() + 4 + channel.size() + 20 + digest.size());
    msg.append(kDomain);
    put_be(msg, channel.size(), 4);
    msg.append(channel);
    put_be(msg, header.seq.value(), 8);
    put_be(msg, static_cast<std::uint64_t>(header.timestamp_us), 8);
    put_be(msg, header.duration_us, 4);
    msg.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return msg;
}

ChunkHeader header_of(const wire::Chunk& chunk) {
    return {ChunkSeq{chunk.seq()}, chunk.timestamp_us(), chunk.duration_us()};
}

}  // namespace

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

Signature sign_chunk(const SecretKey& key, std::string_view channel, const ChunkHeader& header,
                     std::string_view payload) {
    ensure_sodium();
    const std::string msg = signed_message(channel, header, payload);
    Signature sig{};
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()),
                         msg.size(), key.data());
    return sig;
}

Result<void> verify_chunk(const PublicKey& key, std::string_view channel, const ChunkHeader& header,
                          std::string_view payload, std::string_view signature) {
    ensure_sodium();
    if (signature.size() != crypto_sign_BYTES) {
        return make_error_code(Errc::signature_invalid);
    }
    const std::string msg = signed_message(channel, header, payload);
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                    key.data()) != 0) {
        return make_error_code(Errc::signature_invalid);
    }
    return {};
}

void sign_chunk(const SecretKey& key, std::string_view channel, wire::Chunk& chunk) {
    const Signature sig = sign_chunk(key, channel, header_of(chunk), chunk.payload());
    chunk.set_signature(reinterpret_cast<const char*>(sig.data()), sig.size());
}

Result<void> verify_chunk(const PublicKey& key, std::string_view channel,
                          const wire::Chunk& chunk) {
    return verify_chunk(key, channel, header_of(chunk), chunk.payload(), chunk.signature());
}

}  // namespace p2pls
