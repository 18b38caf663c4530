// Content-addressed storage: a blob is stored once by its hash and reference-counted;
// lockers hold named references to blobs, each with its own TTL.
#include "decade-server/core/server_core.hpp"

namespace p2pls::decade_server {

const ServerCore::ObjectRef* ServerCore::find_live(const Locker& locker, std::string_view name,
                                                   UnixSeconds now) const {
    const auto it = locker.objects.find(name);
    if (it == locker.objects.end() || it->second.expiry_s <= now) {
        return nullptr;  // an expired reference is gone for readers even before the sweep
    }
    return &it->second;
}

OpResult ServerCore::store_object(Locker& locker, std::string_view name, const Blob& blob,
                                  const BlobHash& hash, std::uint32_t ttl_s, UnixSeconds now) {
    const std::uint64_t size = blob->size();
    const auto existing = locker.objects.find(name);
    const std::uint64_t replaced =
        existing == locker.objects.end() ? 0 : quota_charge(existing->second.size);
    if (existing == locker.objects.end() &&
        locker.objects.size() >= config_.max_objects_per_locker) {
        return error_result(HttpErrc::quota_exceeded, "locker holds its maximum object count");
    }
    if (locker.bytes_used - replaced + quota_charge(size) > locker.record.quota_bytes) {
        return error_result(HttpErrc::quota_exceeded,
                            "the locker's byte quota would be exceeded (each object also costs " +
                                std::to_string(config_.object_charge_bytes) + " bytes)");
    }
    const auto blob_it = blobs_.find(hash);
    const bool new_blob = blob_it == blobs_.end();
    if (new_blob && blob_bytes_ + size > config_.capacity_bytes) {
        return error_result(HttpErrc::server_full, "the server's storage capacity is used up");
    }
    // Blob first, then the reference, then the answer: a crash in between leaves at most an
    // orphan blob (deleted at the next start), never a reference without its bytes.
    if (new_blob) {
        if (auto stored = store_.put_blob(hash, blob); !stored) {
            return store_unavailable("could not store the object now; retry");
        }
    }
    const UnixSeconds expiry = now + static_cast<UnixSeconds>(ttl_s);
    RefRecord record{locker.record.id, std::string(name), hash, size, expiry};
    if (auto saved = store_.save_ref(record); !saved) {
        // The new blob stays: the record may have reached the disk before the failure, and
        // a blob nobody references is only an orphan for the next start to delete.
        return store_unavailable("could not record the object now; retry");
    }
    // Take the new reference before dropping the old one: re-putting the same bytes
    // must not free the blob in between.
    auto& entry = blobs_[hash];
    if (entry.refs == 0) {
        entry.size = size;
        blob_bytes_ += size;
    }
    ++entry.refs;
    if (existing != locker.objects.end()) {
        drop_ref(locker, existing);
    }
    locker.objects.emplace(std::string(name), ObjectRef{hash, size, expiry});
    locker.bytes_used += quota_charge(size);
    logical_bytes_ += size;
    expiries_.emplace(expiry, locker.record.id, std::string(name));
    OpResult r;
    r.status = 201;
    r.locker = locker.record.id;
    return r;
}

void ServerCore::drop_ref(Locker& locker,
                          std::map<std::string, ObjectRef, std::less<>>::iterator it) {
    expiries_.erase({it->second.expiry_s, locker.record.id, it->first});
    locker.bytes_used -= quota_charge(it->second.size);
    logical_bytes_ -= it->second.size;
    const BlobHash hash = it->second.hash;
    locker.objects.erase(it);
    release_blob(hash);
}

void ServerCore::release_blob(const BlobHash& hash) {
    const auto it = blobs_.find(hash);
    if (it == blobs_.end()) {
        return;
    }
    if (--it->second.refs == 0) {
        blob_bytes_ -= it->second.size;
        blobs_.erase(it);
        store_.remove_blob(hash);
    }
}

OpResult ServerCore::read_failed(const BlobHash& hash, const boost::system::error_code& error) {
    if (blob_is_gone(error)) {
        metrics_.counter("decade_lost_blobs_total", "Blobs found gone or corrupt on read").inc();
        forget_blob(hash);
        return error_result(HttpErrc::not_found, "object lost");
    }
    // EMFILE, EIO, ...: the bytes are very likely still there. Deleting anything now would
    // turn a burst of connections into data loss.
    metrics_.counter("decade_store_read_errors_total", "Blob reads that failed for now (503)")
        .inc();
    return store_unavailable("the store cannot read the object now; retry");
}

void ServerCore::forget_blob(const BlobHash& bad) {
    const BlobHash hash = bad;  // `bad` may live in a reference dropped below
    for (auto& [id, l] : lockers_) {
        for (auto it = l.objects.begin(); it != l.objects.end();) {
            auto next = std::next(it);
            if (it->second.hash == hash) {
                // A record left behind points at a blob that is gone: the next start drops it.
                (void)store_.remove_ref(id, it->first);
                drop_ref(l, it);
            }
            it = next;
        }
    }
}

}  // namespace p2pls::decade_server
