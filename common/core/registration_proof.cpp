#include "common/core/registration_proof.hpp"

#include <sodium.h>

#include <stdexcept>

#include "common/core/base64.hpp"

namespace p2pls {
namespace {

constexpr std::string_view kContext = "p2pls/decade-registration/v1";

std::array<unsigned char, crypto_auth_BYTES> mac_of(const RegistrationKey& key,
                                                    std::int64_t timestamp_ms,
                                                    std::string_view body) {
    static const int status = sodium_init();
    if (status < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
    std::string msg;
    msg.reserve(kContext.size() + 8 + body.size());
    msg.append(kContext);
    const auto ts = static_cast<std::uint64_t>(timestamp_ms);
    for (int i = 7; i >= 0; --i) {
        msg.push_back(static_cast<char>((ts >> (8 * i)) & 0xff));
    }
    msg.append(body);
    std::array<unsigned char, crypto_auth_BYTES> mac{};
    crypto_auth(mac.data(), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                key.data());
    return mac;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::string make_registration_proof(const RegistrationKey& key, std::int64_t timestamp_ms,
                                    std::string_view body) {
    const auto mac = mac_of(key, timestamp_ms, body);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()),
                         Base64::url);
}

bool check_registration_proof(const RegistrationKey& key, std::int64_t timestamp_ms,
                              std::string_view body, std::string_view proof) {
    const auto given = base64_decode(proof, Base64::url);
    if (!given || given->size() != crypto_auth_BYTES) {
        return false;
    }
    const auto mac = mac_of(key, timestamp_ms, body);
    return sodium_memcmp(mac.data(), given->data(), mac.size()) == 0;
}

std::optional<RegistrationKey> parse_registration_key(std::string_view text) {
    const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!text.empty() && space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && space(text.back())) {
        text.remove_suffix(1);
    }
    RegistrationKey key{};
    if (text.size() != 2 * key.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < key.size(); ++i) {
        const int hi = hex_value(text[2 * i]);
        const int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        key[i] = static_cast<unsigned char>((hi << 4) | lo);
    }
    return key;
}

std::string format_registration_key(const RegistrationKey& key) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char b : key) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out + "\n";
}

}  // namespace p2pls
