// DECADE object names (DESIGN.md §2 "DECADE object"): prefix + decimal seq, no padding and
// no leading zeros, e.g. prefix "chan-" and seq 123 -> "chan-123". An object of k chunks is
// named by its first seq. Names are 1..128 characters of [A-Za-z0-9._~-] so that they sit
// in a URL path segment unescaped; a prefix uses the same alphabet and may be empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace p2pls::decade {

inline constexpr std::size_t kMaxNameBytes = 128;

bool is_valid_object_name(std::string_view name);
bool is_valid_prefix(std::string_view prefix);
// Locker ids use the same alphabet as names, 1..64 characters.
bool is_valid_locker_id(std::string_view locker);

std::string object_name(std::string_view prefix, std::uint64_t seq);

// The seq of `name` under `prefix`: nullopt unless name == prefix + canonical decimal.
std::optional<std::uint64_t> object_seq(std::string_view name, std::string_view prefix);

}  // namespace p2pls::decade
