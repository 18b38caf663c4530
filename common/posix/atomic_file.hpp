// Files that a concurrent reader sees either whole or not at all: the text goes to a
// temp file beside the target (same directory, so the same file system), which is then
// renamed over the target. Used for every executable's --port-file, which test harnesses
// and the testbed poll while the server starts, and for the testbed's report files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls::posix {

// Writes `text` to `path` atomically. Errc::io_error when the temp file cannot be created
// or written (e.g. the directory is missing) or the rename fails; the temp file never
// outlives the call, and the target is then left as it was.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text);

// The --port-file format: the port in decimal and a newline, so that a reader knows the
// number is complete.
Result<void> write_port_file(const std::filesystem::path& path, std::uint16_t port);

}  // namespace p2pls::posix
