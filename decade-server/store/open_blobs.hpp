// The blob files a directory store keeps open (DirStore): a GET of an object read before
// costs no open(2), fstat(2) or close(2), and its bytes go from the page cache to the
// socket through the shared descriptor (BlobFile). Bounded; the least recently used goes
// first. A descriptor a response is still writing stays open until that response is done
// (the cache holds one of its owners, not the only one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>

#include "common/posix/fd.hpp"
#include "decade-server/core/content_hash.hpp"

namespace p2pls::decade_server {

class OpenBlobs {
  public:
    struct Entry {
        std::shared_ptr<const posix::Fd> fd;
        std::uint64_t size = 0;  // the file's size when it was opened and checked
    };

    // `capacity` 0 keeps nothing open.
    explicit OpenBlobs(std::size_t capacity) : capacity_(capacity) {}

    // The open file of `hash`, now the most recently used; nullptr when not open.
    [[nodiscard]] const Entry* find(const BlobHash& hash);
    // Keeps `entry` open for `hash` (replacing any other), closing the least recently used
    // beyond the capacity.
    void insert(const BlobHash& hash, Entry entry);
    void erase(const BlobHash& hash);
    // Lets the older half go (rounded up): the descriptor table is full and a blob must
    // still be opened. How many were let go.
    std::size_t shed();

    [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  private:
    using Order = std::list<std::pair<BlobHash, Entry>>;  // most recently used first

    std::size_t capacity_;
    Order order_;
    std::map<BlobHash, Order::iterator> index_;
};

}  // namespace p2pls::decade_server
