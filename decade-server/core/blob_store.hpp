// What the server core needs from storage: blobs by content hash, plus a durable record
// of lockers and of which locker holds which object (so that a directory store can bring
// everything back after a restart). The memory and directory stores in
// decade-server/store implement it; the core owns reference counts, quotas and TTLs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/time.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/content_hash.hpp"

namespace p2pls::decade_server {

struct LockerRecord {
    std::string id;
    decade::LockerSecret secret{};
    std::uint64_t quota_bytes = 0;
    std::uint32_t bandwidth_share = 1;  // relative weight in egress sharing, >= 1
};

// One locker's reference to one blob.
struct RefRecord {
    std::string locker;
    std::string name;
    BlobHash hash{};
    std::uint64_t size = 0;
    UnixSeconds expiry_s = 0;
};

// What a store found on start-up, already checked (corrupt blobs and the references to
// them dropped).
struct RecoveredState {
    std::vector<LockerRecord> lockers;
    std::vector<RefRecord> refs;
    std::uint64_t dropped_corrupt = 0;  // blobs or records dropped by the check on load
};

class BlobStore {
  public:
    virtual ~BlobStore() = default;

    // Stores `blob` under `hash` (the caller computed it from the bytes). Storing a hash
    // that is already there is a no-op. io_error when the bytes could not be made durable.
    virtual Result<void> put_blob(const BlobHash& hash, const Blob& blob) = 0;
    // not_found, or store_corrupt when the stored bytes no longer match their size.
    virtual Result<Blob> get_blob(const BlobHash& hash, std::uint64_t size) = 0;
    virtual void remove_blob(const BlobHash& hash) = 0;

    // Durable records (no-ops for a memory store).
    virtual Result<void> save_ref(const RefRecord& ref) = 0;
    virtual void remove_ref(const std::string& locker, const std::string& name) = 0;
    virtual Result<void> save_locker(const LockerRecord& locker) = 0;
};

}  // namespace p2pls::decade_server
