// Reading a whole configuration-sized file (a config, a key, an accounts or catalog
// file) with a size cap, so that a path pointed at something huge (a disk image, a
// device) is refused rather than read into memory. The roles' mains share it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace p2pls::posix {

inline constexpr std::uint64_t kSmallFileCap = 64ULL * 1024 * 1024;

// The file's bytes; nullopt with `why` ("cannot read: <errno text>", "larger than N
// bytes") when it cannot be read whole within `cap`.
std::optional<std::string> read_small_file(const std::filesystem::path& path, std::string& why,
                                           std::uint64_t cap = kSmallFileCap);

}  // namespace p2pls::posix
