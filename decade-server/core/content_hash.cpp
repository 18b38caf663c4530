#include "decade-server/core/content_hash.hpp"

#include <sodium.h>

namespace p2pls::decade_server {

BlobHash hash_content(std::string_view bytes) {
    BlobHash hash{};
    crypto_generichash(hash.data(), hash.size(),
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                       0);
    return hash;
}

std::string to_hex(const BlobHash& hash) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(hash.size() * 2);
    for (unsigned char b : hash) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out;
}

std::optional<BlobHash> hash_from_hex(std::string_view hex) {
    BlobHash hash{};
    if (hex.size() != hash.size() * 2) {
        return std::nullopt;
    }
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    };
    for (std::size_t i = 0; i < hash.size(); ++i) {
        const int hi = nibble(hex[2 * i]);
        const int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        hash[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return hash;
}

}  // namespace p2pls::decade_server
