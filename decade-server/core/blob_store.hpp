// What the server core needs from storage: blobs by content hash, plus a durable record
// of lockers and of which locker holds which object (so that a directory store can bring
// everything back after a restart). The memory and directory stores in
// decade-server/store implement it; the core owns reference counts, quotas and TTLs.
//
// A store reports what it saw and decides nothing: a failed read says which kind of
// failure it was, and the core alone decides what that means for the references
// (blob_is_gone below). A store never deletes a blob or a record on its own at run time.
#pragma once

#include <cstdint>
#include <optional>
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

    friend bool operator==(const LockerRecord&, const LockerRecord&) = default;
};

// One locker's reference to one blob.
struct RefRecord {
    std::string locker;
    std::string name;
    BlobHash hash{};
    std::uint64_t size = 0;
    UnixSeconds expiry_s = 0;

    friend bool operator==(const RefRecord&, const RefRecord&) = default;
};

// What a store found on start-up, already checked (corrupt blobs and the references to
// them dropped).
struct RecoveredState {
    std::vector<LockerRecord> lockers;
    std::vector<RefRecord> refs;
    std::uint64_t dropped_corrupt = 0;  // blobs or records dropped by the check on load
    // Files that could not be read on load (EIO, EMFILE, ...): kept on disk untouched and
    // tried again at the next start; their objects are not served until then.
    std::uint64_t unreadable = 0;
};

class BlobStore {
  public:
    virtual ~BlobStore() = default;

    // Stores `blob` under `hash` (the caller computed it from the bytes). A blob already
    // there whose bytes hash to `hash` is kept as it is. io_error when the bytes could not
    // be made durable.
    virtual Result<void> put_blob(const BlobHash& hash, const Blob& blob) = 0;
    // The blob's bytes (`size` is what the reference recorded). On failure, the kind:
    //   not_found      the blob is not there (ENOENT);
    //   store_corrupt  its bytes were read whole and do not hash to `hash`;
    //   anything else  it could not be read now (io_error: EMFILE, EIO, ENOMEM, ...).
    virtual Result<Blob> get_blob(const BlobHash& hash, std::uint64_t size) = 0;
    // The blob as an open file (BlobFile), from a store that keeps files; nullopt from one
    // that keeps bytes in memory, where get_blob costs no more. Failures as get_blob.
    virtual Result<std::optional<BlobFile>> open_blob(const BlobHash& /*hash*/,
                                                      std::uint64_t /*size*/) {
        return std::optional<BlobFile>{};
    }
    // Best effort: a blob that outlives this call is an orphan the next start-up deletes.
    virtual void remove_blob(const BlobHash& hash) = 0;

    // Durable records (no-ops for a memory store). Each returns only once the record (or
    // its removal) would survive a crash; io_error otherwise.
    virtual Result<void> save_ref(const RefRecord& ref) = 0;
    virtual Result<void> remove_ref(const std::string& locker, const std::string& name) = 0;
    virtual Result<void> save_locker(const LockerRecord& locker) = 0;
};

// What a failed get_blob means for the references to the blob: true only when the blob is
// gone for good (not there, or its bytes verified not to match their hash), so that the
// references may be dropped. Every other failure is transient: the object stays, and the
// asker gets 503 and comes back later.
[[nodiscard]] inline bool blob_is_gone(const boost::system::error_code& read_error) noexcept {
    return read_error == Errc::not_found || read_error == Errc::store_corrupt;
}

}  // namespace p2pls::decade_server
