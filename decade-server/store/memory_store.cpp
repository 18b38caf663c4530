#include "decade-server/store/memory_store.hpp"

namespace p2pls::decade_server {

Result<void> MemoryStore::put_blob(const BlobHash& hash, const Blob& blob) {
    blobs_.emplace(hash, blob);
    return {};
}

Result<Blob> MemoryStore::get_blob(const BlobHash& hash, std::uint64_t size) {
    const auto it = blobs_.find(hash);
    if (it == blobs_.end()) {
        return Errc::not_found;
    }
    if (it->second->size() != size) {
        return Errc::store_corrupt;
    }
    return it->second;
}

void MemoryStore::remove_blob(const BlobHash& hash) {
    blobs_.erase(hash);
}

}  // namespace p2pls::decade_server
