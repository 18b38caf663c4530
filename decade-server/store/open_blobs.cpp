#include "decade-server/store/open_blobs.hpp"

#include <utility>

namespace p2pls::decade_server {

const OpenBlobs::Entry* OpenBlobs::find(const BlobHash& hash) {
    const auto it = index_.find(hash);
    if (it == index_.end()) {
        return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);  // no allocation on a hit
    return &it->second->second;
}

void OpenBlobs::insert(const BlobHash& hash, Entry entry) {
    if (capacity_ == 0) {
        return;
    }
    erase(hash);
    order_.emplace_front(hash, std::move(entry));
    index_.emplace(hash, order_.begin());
    while (index_.size() > capacity_) {
        index_.erase(order_.back().first);
        order_.pop_back();
    }
}

void OpenBlobs::erase(const BlobHash& hash) {
    if (const auto it = index_.find(hash); it != index_.end()) {
        order_.erase(it->second);
        index_.erase(it);
    }
}

std::size_t OpenBlobs::shed() {
    const std::size_t drop = (index_.size() + 1) / 2;
    for (std::size_t i = 0; i < drop; ++i) {
        index_.erase(order_.back().first);
        order_.pop_back();
    }
    return drop;
}

}  // namespace p2pls::decade_server
