// Test tooling inside the real adapters: with P2PLS_CAPTURE_DIR set, every peer-wire frame
// and every HTTP request a process receives is also written there, one file each, so that
// the fuzz corpora start from real traffic (scripts/capture_corpus.sh runs the integration
// tests this way, and tests/fuzz/seeds_from_capture.cpp lays the files out as each fuzz
// target's input). Unset, it costs one check of a flag read once.
#pragma once

#include <string_view>

namespace p2pls::posix {

// Whether P2PLS_CAPTURE_DIR is set (read at the first call).
[[nodiscard]] bool capturing() noexcept;

// Writes `bytes` to P2PLS_CAPTURE_DIR/<kind>/<program>-<pid>-<n>. At most kMaxCaptures
// files per kind and process, so a long run cannot fill the disk; failures are ignored
// (capturing must never change what the process does).
inline constexpr unsigned kMaxCaptures = 2000;
void capture_received(std::string_view kind, std::string_view bytes) noexcept;

}  // namespace p2pls::posix
