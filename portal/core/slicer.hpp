// Cuts an upload into the slices the portal stores as DECADE objects (the draft's §6.1:
// "the portal divides the file into chunks"), as the bytes arrive: each slice is handed
// out as soon as it is full, with its SHA-256, so that an upload of any size holds at most
// one slice in memory. The whole file's SHA-256 comes with the last one.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2pls::portal {

inline constexpr std::size_t kDefaultSliceBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMinSliceBytes = 4 * 1024;
inline constexpr std::size_t kMaxSliceBytes = 64 * 1024 * 1024;

struct Slice {
    std::uint64_t index = 0;
    std::uint64_t offset = 0;  // of its first byte in the file
    std::string bytes;
    std::string sha256;  // 64 lower-case hex digits
};

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);
// Whether `text` is written as sha256_hex writes: 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);

class Slicer {
  public:
    // slice_bytes in [kMinSliceBytes, kMaxSliceBytes] (clamped).
    explicit Slicer(std::size_t slice_bytes = kDefaultSliceBytes);

    // The slices that `bytes` completed, in order (often none).
    std::vector<Slice> feed(std::string_view bytes);
    // The last, short slice (none when the size is a multiple of the slice size, or the
    // file is empty). Afterwards file_sha256() and size() are final.
    std::optional<Slice> finish();

    [[nodiscard]] std::size_t slice_bytes() const noexcept { return slice_bytes_; }
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    [[nodiscard]] const std::string& file_sha256() const noexcept { return file_sha256_; }

  private:
    Slice take();

    std::size_t slice_bytes_;
    std::string buffer_;
    std::uint64_t next_index_ = 0;
    std::uint64_t size_ = 0;
    crypto_hash_sha256_state whole_{};
    std::string file_sha256_;
    bool finished_ = false;
};

}  // namespace p2pls::portal
