// Content addresses of DECADE blobs: BLAKE2b-256 of the object's bytes. An object that
// many lockers hold is stored once under its hash (DESIGN.md §3 "Storage").
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/posix/fd.hpp"

namespace p2pls::decade_server {

using BlobHash = std::array<unsigned char, 32>;

// Object bytes, shared between the store, responses in flight and every locker holding
// them; never modified after creation.
using Blob = std::shared_ptr<const std::string>;

// A blob as a file its store keeps open: the HTTP adapter sends it from the page cache to
// the socket (sendfile) without reading it. The descriptor is shared, so it stays open
// while a response is written even if the store lets it go meanwhile; the file itself
// never changes (a blob is written once, under its hash).
struct BlobFile {
    std::shared_ptr<const posix::Fd> fd;
    std::uint64_t size = 0;
};

BlobHash hash_content(std::string_view bytes);
std::string to_hex(const BlobHash& hash);
std::optional<BlobHash> hash_from_hex(std::string_view hex);

}  // namespace p2pls::decade_server
