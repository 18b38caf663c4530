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
    const std::uint64_t replaced = existing == locker.objects.end() ? 0 : existing->second.size;
    if (existing == locker.objects.end() &&
        locker.objects.size() >= config_.max_objects_per_locker) {
        return error_result(HttpErrc::quota_exceeded, "locker holds its maximum object count");
    }
    if (locker.bytes_used - replaced + size > locker.record.quota_bytes) {
        return error_result(HttpErrc::quota_exceeded, "the locker's byte quota would be exceeded");
    }
    const auto blob_it = blobs_.find(hash);
    const bool new_blob = blob_it == blobs_.end();
    if (new_blob && blob_bytes_ + size > config_.capacity_bytes) {
        return error_result(HttpErrc::server_full, "the server's storage capacity is used up");
    }
    if (new_blob) {
        if (auto stored = store_.put_blob(hash, blob); !stored) {
            return error_result(HttpErrc::store_failed, "could not store the object");
        }
    }
    const UnixSeconds expiry = now + static_cast<UnixSeconds>(ttl_s);
    RefRecord record{locker.record.id, std::string(name), hash, size, expiry};
    if (auto saved = store_.save_ref(record); !saved) {
        if (new_blob) {
            store_.remove_blob(hash);
        }
        return error_result(HttpErrc::store_failed, "could not record the object");
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
    locker.bytes_used += size;
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
    locker.bytes_used -= it->second.size;
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

void ServerCore::forget_blob(const BlobHash& bad) {
    const BlobHash hash = bad;  // `bad` may live in a reference dropped below
    for (auto& [id, l] : lockers_) {
        for (auto it = l.objects.begin(); it != l.objects.end();) {
            auto next = std::next(it);
            if (it->second.hash == hash) {
                store_.remove_ref(id, it->first);
                drop_ref(l, it);
            }
            it = next;
        }
    }
}

}  // namespace p2pls::decade_server
