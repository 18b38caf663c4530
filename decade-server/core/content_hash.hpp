// Content addresses of DECADE blobs: BLAKE2b-256 of the object's bytes. An object that
// many lockers hold is stored once under its hash (DESIGN.md §3 "Storage").
#pragma once

#include <array>
#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace p2pls::decade_server {

using BlobHash = std::array<unsigned char, 32>;

// Object bytes, shared between the store, responses in flight and every locker holding
// them; never modified after creation.
using Blob = std::shared_ptr<const std::string>;

BlobHash hash_content(std::string_view bytes);
std::string to_hex(const BlobHash& hash);
std::optional<BlobHash> hash_from_hex(std::string_view hex);

}  // namespace p2pls::decade_server
