// Blobs in memory (the default store). Nothing survives a restart; the byte cap is the
// core's capacity_bytes.
#pragma once

#include <map>

#include "decade-server/core/blob_store.hpp"

namespace p2pls::decade_server {

class MemoryStore final : public BlobStore {
  public:
    Result<void> put_blob(const BlobHash& hash, const Blob& blob) override;
    Result<Blob> get_blob(const BlobHash& hash, std::uint64_t size) override;
    void remove_blob(const BlobHash& hash) override;
    Result<void> save_ref(const RefRecord&) override { return {}; }
    Result<void> remove_ref(const std::string&, const std::string&) override { return {}; }
    Result<void> save_locker(const LockerRecord&) override { return {}; }

    [[nodiscard]] std::size_t size() const noexcept { return blobs_.size(); }

  private:
    std::map<BlobHash, Blob> blobs_;
};

}  // namespace p2pls::decade_server
