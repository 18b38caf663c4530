#include "common/core/announce_signature.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace p2pls {
namespace {

// Context prefixes: none is a prefix of another, nor of the chunk signature's.
constexpr std::string_view kAnnounceContext = "p2pls/source-announce/v1";
constexpr std::string_view kStoppedContext = "p2pls/source-stopped/v1";
constexpr std::string_view kHelloProofContext = "p2pls/source-hello-proof/v1";

std::string_view context(SourceStatementKind kind) {
    switch (kind) {
        case SourceStatementKind::announce:
            return kAnnounceContext;
        case SourceStatementKind::stopped:
            return kStoppedContext;
        case SourceStatementKind::hello_proof:
            return kHelloProofContext;
    }
    return kAnnounceContext;
}

void ensure_sodium() {
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

// Variable-length fields carry their length, so no two statements share one encoding.
void put_field(std::string& out, std::string_view field) {
    put_be(out, field.size(), 4);
    out.append(field);
}

std::string signed_message(const SourceStatement& s) {
    std::string msg;
    msg.reserve(96 + s.channel.size() + s.peer_id.size() + s.endpoint.size() + s.nonce.size());
    msg.append(context(s.kind));
    put_field(msg, s.channel);
    put_field(msg, s.peer_id);
    if (s.kind == SourceStatementKind::hello_proof) {
        msg.append(reinterpret_cast<const char*>(s.epoch.data()), s.epoch.size());
        put_field(msg, s.nonce);
        return msg;
    }
    put_field(msg, s.endpoint);
    msg.append(reinterpret_cast<const char*>(s.epoch.data()), s.epoch.size());
    put_be(msg, s.live_edge, 8);
    put_be(msg, static_cast<std::uint64_t>(s.timestamp_ms), 8);
    return msg;
}

}  // namespace

Signature sign_source_statement(const SecretKey& key, const SourceStatement& statement) {
    ensure_sodium();
    const std::string msg = signed_message(statement);
    Signature sig{};
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()),
                         msg.size(), key.data());
    return sig;
}

Result<void> verify_source_statement(const PublicKey& key, const SourceStatement& statement,
                                     std::string_view signature) {
    ensure_sodium();
    if (signature.size() != crypto_sign_BYTES) {
        return make_error_code(Errc::signature_invalid);
    }
    const std::string msg = signed_message(statement);
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                    key.data()) != 0) {
        return make_error_code(Errc::signature_invalid);
    }
    return {};
}

std::string hello_nonce(const NonceKey& key, std::uint64_t counter) {
    ensure_sodium();
    std::string input;
    put_be(input, counter, 8);
    std::string nonce(kHelloNonceBytes, '\0');
    crypto_generichash(reinterpret_cast<unsigned char*>(nonce.data()), nonce.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       key.data(), key.size());
    return nonce;
}

Result<SourceEpoch> source_epoch_from_bytes(std::string_view bytes) {
    SourceEpoch epoch{};
    if (bytes.size() != epoch.size()) {
        return make_error_code(Errc::key_invalid);
    }
    std::memcpy(epoch.data(), bytes.data(), epoch.size());
    return epoch;
}

bool within_skew(std::int64_t timestamp_ms, std::int64_t now_ms, std::int64_t skew_ms) {
    // The distance in unsigned arithmetic: exact for any pair of int64 values.
    const auto ts = static_cast<std::uint64_t>(timestamp_ms);
    const auto now = static_cast<std::uint64_t>(now_ms);
    const std::uint64_t distance = timestamp_ms >= now_ms ? ts - now : now - ts;
    return skew_ms >= 0 && distance <= static_cast<std::uint64_t>(skew_ms);
}

}  // namespace p2pls
