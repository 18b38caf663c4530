// The draft's Put_Object, Get_Object, Delete_Object and Status_Query, and Refresh_Object
// (a new TTL for an object already stored, without sending its bytes again).
#include "decade-module/core/object_name.hpp"
#include "decade-server/core/server_core.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {

using decade::Op;

OpResult ServerCore::put(const Caller& caller, std::string_view locker_id, std::string_view name,
                         std::string data, std::optional<std::uint32_t> ttl_s, UnixSeconds now) {
    OpResult result;
    const auto claims = authorize(caller, locker_id, Op::put, name, data.size(), now, result);
    if (!claims) {
        return count(std::move(result), "put");
    }
    if (!decade::is_valid_object_name(name)) {
        return count(error_result(HttpErrc::bad_name, "object name invalid"), "put");
    }
    if (data.size() > config_.max_object_bytes) {
        return count(error_result(HttpErrc::too_large, "object above the size cap"), "put");
    }
    const std::uint32_t ttl = ttl_s.value_or(0) == 0 ? config_.default_ttl_s : *ttl_s;
    if (ttl > config_.max_ttl_s) {
        return count(error_result(HttpErrc::bad_ttl, "TTL above the server's maximum"), "put");
    }
    Locker& locker = lockers_.find(locker_id)->second;
    const std::uint64_t size = data.size();
    const BlobHash hash = hash_content(data);
    auto blob = std::make_shared<const std::string>(std::move(data));
    result = store_object(locker, name, blob, hash, ttl, now);
    if (result.ok()) {
        account(locker, *claims, size);
        locker.bytes_stored += size;
        metrics_.counter("decade_bytes_in_total", "Object bytes received by puts")
            .inc(static_cast<double>(size));
    }
    return count(std::move(result), "put");
}

OpResult ServerCore::get(const Caller& caller, std::string_view locker_id, std::string_view name,
                         UnixSeconds now, std::uint64_t max_bytes, ObjectForm form,
                         std::string_view range_header) {
    // Size first (0 when absent) so that the budget check sees the real figure; the
    // token is checked before the answer can tell whether the object exists.
    const auto lk = lockers_.find(locker_id);
    const ObjectRef* ref = lk == lockers_.end() ? nullptr : find_live(lk->second, name, now);
    const std::uint64_t size = ref ? ref->size : 0;
    const http::ByteRange range = http::byte_range(range_header, size);
    OpResult result;
    const auto claims = authorize(caller, locker_id, Op::get, name, range.length, now, result);
    if (!claims) {
        return count(std::move(result), "get");
    }
    Locker& locker = lk->second;
    if (ref == nullptr) {
        return count(error_result(HttpErrc::not_found, "no such object"), "get");
    }
    if (range.kind == http::ByteRange::Kind::unsatisfiable) {
        OpResult out =
            error_result(HttpErrc::range_not_satisfiable, "the range starts past the object's end");
        out.object_size = size;
        out.range = range;
        return count(std::move(out), "get");
    }
    if (ref->size > max_bytes) {
        return count(error_result(HttpErrc::batch_response_too_large,
                                  "the batch's objects exceed the response cap; ask again"),
                     "get");
    }
    if (form == ObjectForm::file_if_stored) {
        auto file = store_.open_blob(ref->hash, ref->size);
        if (!file) {
            return count(read_failed(ref->hash, file.error()), "get");
        }
        if (*file) {
            result.file = std::move(**file);
        }
    }
    if (!result.file.fd) {
        auto blob = store_.get_blob(ref->hash, ref->size);
        if (!blob) {
            return count(read_failed(ref->hash, blob.error()), "get");
        }
        result.data = std::move(*blob);
    }
    account(locker, *claims, range.length);
    locker.bytes_served += range.length;
    metrics_.counter("decade_bytes_out_total", "Object bytes served by gets")
        .inc(static_cast<double>(range.length));
    result.status = range.kind == http::ByteRange::Kind::part ? 206 : 200;
    result.range = range;
    result.object_size = size;
    result.locker = locker.record.id;
    return count(std::move(result), "get");
}

OpResult ServerCore::remove(const Caller& caller, std::string_view locker_id, std::string_view name,
                            UnixSeconds now) {
    OpResult result;
    const auto claims = authorize(caller, locker_id, Op::remove, name, 0, now, result);
    if (!claims) {
        return count(std::move(result), "delete");
    }
    Locker& locker = lockers_.find(locker_id)->second;
    const auto it = locker.objects.find(name);
    if (it == locker.objects.end() || it->second.expiry_s <= now) {
        return count(error_result(HttpErrc::not_found, "no such object"), "delete");
    }
    // Acknowledge a delete only once it is durable, or the object comes back after a crash.
    if (auto removed = store_.remove_ref(locker.record.id, it->first); !removed) {
        return count(store_unavailable("could not record the delete now; retry"), "delete");
    }
    account(locker, *claims, 0);
    drop_ref(locker, it);
    result.status = 204;
    return count(std::move(result), "delete");
}

OpResult ServerCore::refresh(const Caller& caller, std::string_view locker_id,
                             std::string_view name, std::optional<std::uint32_t> ttl_s,
                             UnixSeconds now) {
    OpResult result;
    // The right to put the object is the right to decide how long it stays.
    const auto claims = authorize(caller, locker_id, Op::put, name, 0, now, result);
    if (!claims) {
        return count(std::move(result), "refresh");
    }
    const std::uint32_t ttl = ttl_s.value_or(0) == 0 ? config_.default_ttl_s : *ttl_s;
    if (ttl > config_.max_ttl_s) {
        return count(error_result(HttpErrc::bad_ttl, "TTL above the server's maximum"), "refresh");
    }
    Locker& locker = lockers_.find(locker_id)->second;
    const auto it = locker.objects.find(name);
    if (it == locker.objects.end() || it->second.expiry_s <= now) {
        return count(error_result(HttpErrc::not_found, "no such object"), "refresh");
    }
    ObjectRef& ref = it->second;
    const UnixSeconds expiry = now + static_cast<UnixSeconds>(ttl);
    // Durable first: an acknowledged refresh must survive a restart, or the object
    // would expire at its old time after one.
    if (auto saved = store_.save_ref({locker.record.id, it->first, ref.hash, ref.size, expiry});
        !saved) {
        return count(store_unavailable("could not record the new TTL now; retry"), "refresh");
    }
    account(locker, *claims, 0);
    ref.expiry_s = expiry;
    result.status = 204;
    return count(std::move(result), "refresh");
}

OpResult ServerCore::status(const Caller& caller, std::string_view locker_id, UnixSeconds now) {
    OpResult result;
    const auto claims = authorize(caller, locker_id, Op::status, {}, 0, now, result);
    if (!claims) {
        return count(std::move(result), "status");
    }
    Locker& locker = lockers_.find(locker_id)->second;
    account(locker, *claims, 0);
    auto s = std::make_shared<decade_api::LockerStatus>();
    s->set_locker(locker.record.id);
    for (const auto& [name, ref] : locker.objects) {
        if (ref.expiry_s <= now) {
            continue;
        }
        auto* info = s->add_objects();
        info->set_name(name);
        info->set_size(ref.size);
        info->set_expiry_s(ref.expiry_s);
    }
    s->set_bytes_used(locker.bytes_used);
    s->set_quota_bytes(locker.record.quota_bytes);
    s->set_bytes_served(locker.bytes_served);
    s->set_object_charge_bytes(config_.object_charge_bytes);
    for (const auto& [id, use] : locker.tokens) {
        (*s->mutable_requests_by_token())[id] = use.requests;
    }
    result.status = 200;
    result.locker_status = std::move(s);
    return count(std::move(result), "status");
}

}  // namespace p2pls::decade_server
