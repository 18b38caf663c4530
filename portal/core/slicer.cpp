#include "portal/core/slicer.hpp"

#include <algorithm>
#include <array>

namespace p2pls::portal {

namespace {

std::string hex_of(const std::array<unsigned char, crypto_hash_sha256_BYTES>& digest) {
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return hex.data();
}

}  // namespace

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 &&
           text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size());
    return hex_of(digest);
}

Slicer::Slicer(std::size_t slice_bytes)
    : slice_bytes_(std::clamp(slice_bytes, kMinSliceBytes, kMaxSliceBytes)) {
    crypto_hash_sha256_init(&whole_);
}

std::vector<Slice> Slicer::feed(std::string_view bytes) {
    std::vector<Slice> out;
    size_ += bytes.size();
    crypto_hash_sha256_update(&whole_, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
    while (!bytes.empty()) {
        const std::size_t room = slice_bytes_ - buffer_.size();
        const std::size_t n = std::min(room, bytes.size());
        if (buffer_.capacity() < slice_bytes_ && n < slice_bytes_) {
            buffer_.reserve(slice_bytes_);
        }
        buffer_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (buffer_.size() == slice_bytes_) {
            out.push_back(take());
        }
    }
    return out;
}

std::optional<Slice> Slicer::finish() {
    if (finished_) {
        return std::nullopt;
    }
    finished_ = true;
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&whole_, digest.data());
    file_sha256_ = hex_of(digest);
    if (buffer_.empty()) {
        return std::nullopt;
    }
    return take();
}

Slice Slicer::take() {
    Slice s;
    s.index = next_index_++;
    s.offset = s.index * slice_bytes_;
    s.sha256 = sha256_hex(buffer_);
    s.bytes = std::move(buffer_);
    buffer_ = std::string();
    return s;
}

}  // namespace p2pls::portal
