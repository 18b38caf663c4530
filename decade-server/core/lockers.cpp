// Lockers: the accounts file's, those registered at run time, those a durable store
// brought back, and what each holds.
#include <algorithm>

#include "decade-module/core/object_name.hpp"
#include "decade-server/core/server_core.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {

Result<void> ServerCore::add_locker(const LockerRecord& record) {
    if (!decade::is_valid_locker_id(record.id) || record.bandwidth_share == 0) {
        return Errc::config_invalid;
    }
    auto it = lockers_.find(record.id);
    if (it == lockers_.end()) {
        if (lockers_.size() >= config_.max_lockers) {
            return Errc::quota_exceeded;
        }
        it = lockers_.emplace(record.id, Locker{}).first;
    }
    it->second.record = record;
    it->second.key = decade::LockerKey(record.secret);
    return {};
}

OpResult ServerCore::register_locker(const decade_api::RegisterLockerRequest& request,
                                     std::string id, const decade::LockerSecret& secret,
                                     decade_api::RegisterLockerResponse& out) {
    if (!decade::is_valid_locker_id(id) || request.bandwidth_share() > 1000 ||
        request.quota_bytes() > config_.capacity_bytes) {
        return count(error_result(HttpErrc::bad_request,
                                  "quota_bytes must be <= capacity, bandwidth_share <= 1000"),
                     "register");
    }
    if (lockers_.contains(id)) {
        return count(error_result(HttpErrc::locker_exists, "locker id already taken"), "register");
    }
    if (lockers_.size() >= config_.max_lockers) {
        return count(error_result(HttpErrc::too_many_lockers, "locker table full"), "register");
    }
    LockerRecord record{
        std::move(id), secret,
        request.quota_bytes() == 0 ? config_.default_quota_bytes : request.quota_bytes(),
        std::max<std::uint32_t>(request.bandwidth_share(), 1)};
    if (auto saved = store_.save_locker(record); !saved) {
        return count(store_unavailable("could not record the locker now; retry"), "register");
    }
    out.set_locker(record.id);
    out.set_secret(std::string(reinterpret_cast<const char*>(secret.data()), secret.size()));
    lockers_.emplace(record.id, Locker{record, decade::LockerKey(record.secret), {}, {}, 0, 0, 0});
    OpResult r;
    r.status = 201;
    return count(std::move(r), "register");
}

void ServerCore::restore(const RecoveredState& state, UnixSeconds now) {
    for (const auto& record : state.lockers) {
        (void)add_locker(record);
    }
    for (const auto& ref : state.refs) {
        const auto it = lockers_.find(ref.locker);
        if (it == lockers_.end()) {
            continue;  // kept on disk: its locker may come back with the accounts file
        }
        if (ref.expiry_s <= now || !decade::is_valid_object_name(ref.name)) {
            (void)store_.remove_ref(ref.locker, ref.name);  // tried again at the next start
            continue;
        }
        Locker& locker = it->second;
        if (auto old = locker.objects.find(ref.name); old != locker.objects.end()) {
            drop_ref(locker, old);
        }
        auto& blob = blobs_[ref.hash];
        if (blob.refs == 0) {
            blob.size = ref.size;
            blob_bytes_ += ref.size;
        }
        ++blob.refs;
        locker.objects.emplace(ref.name, ObjectRef{ref.hash, ref.size, ref.expiry_s});
        locker.bytes_used += quota_charge(ref.size);
        logical_bytes_ += ref.size;
        expiries_.emplace(ref.expiry_s, ref.locker, ref.name);
    }
}

std::optional<LockerInfo> ServerCore::locker_info(std::string_view locker_id) const {
    const auto it = lockers_.find(locker_id);
    if (it == lockers_.end()) {
        return std::nullopt;
    }
    const Locker& l = it->second;
    return LockerInfo{l.record, l.bytes_used, l.bytes_served, l.bytes_stored, l.objects.size()};
}

std::uint32_t ServerCore::bandwidth_share(std::string_view locker_id) const {
    const auto it = lockers_.find(locker_id);
    return it == lockers_.end() ? 1 : it->second.record.bandwidth_share;
}

}  // namespace p2pls::decade_server
