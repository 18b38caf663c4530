#include "decade-server/core/server_core.hpp"

#include <algorithm>
#include <cctype>

#include "decade-module/core/object_name.hpp"
#include "decade-module/core/requests.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {
namespace {

using decade::Op;

// Token-use records kept per locker; beyond this the oldest-expiring are dropped first.
constexpr std::size_t kMaxTokenRecords = 10'000;

}  // namespace

OpResult error_result(unsigned status, std::string_view error, std::string_view detail) {
    OpResult r;
    r.status = status;
    r.error = std::string(error);
    r.detail = std::string(detail);
    return r;
}

std::string normalize_server_url(std::string_view url) {
    std::string out;
    out.reserve(url.size());
    for (char c : url) {
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    while (!out.empty() && out.back() == '/') {
        out.pop_back();
    }
    constexpr std::string_view kScheme = "http://";
    if (out.size() <= kScheme.size() || out.compare(0, kScheme.size(), kScheme) != 0 ||
        out.find_first_of("/?#@ ", kScheme.size()) != std::string::npos) {
        return {};
    }
    return out;
}

ServerCore::ServerCore(ServerConfig config, BlobStore& store)
    : config_(std::move(config)), store_(store) {
    for (auto* list : {&config_.peer_servers, &config_.self_urls}) {
        for (auto& url : *list) {
            url = normalize_server_url(url);
        }
        std::erase(*list, std::string{});
    }
    lookup_ = [this](std::string_view locker) -> const decade::LockerKey* {
        const auto it = lockers_.find(locker);
        return it == lockers_.end() ? nullptr : &it->second.key;
    };
}

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
        return count(error_result(400, "bad_request",
                                  "quota_bytes must be <= capacity, bandwidth_share <= 1000"),
                     "register");
    }
    if (lockers_.contains(id)) {
        return count(error_result(409, "locker_exists", "locker id already taken"), "register");
    }
    if (lockers_.size() >= config_.max_lockers) {
        return count(error_result(507, "too_many_lockers", "locker table full"), "register");
    }
    LockerRecord record{
        std::move(id), secret,
        request.quota_bytes() == 0 ? config_.default_quota_bytes : request.quota_bytes(),
        std::max<std::uint32_t>(request.bandwidth_share(), 1)};
    if (auto saved = store_.save_locker(record); !saved) {
        return count(error_result(500, "store_failed", "could not record the locker"), "register");
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
            store_.remove_ref(ref.locker, ref.name);
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
        locker.bytes_used += ref.size;
        logical_bytes_ += ref.size;
        expiries_.emplace(ref.expiry_s, ref.locker, ref.name);
    }
}

std::optional<decade::TokenClaims> ServerCore::authorize(const Caller& caller,
                                                         std::string_view locker, Op op,
                                                         std::string_view name, std::uint64_t bytes,
                                                         UnixSeconds now, OpResult& result) {
    std::uint64_t used = 0;
    // Budget use is looked up by the claimed token id only after the MAC has passed,
    // so the first call runs with used = 0 and a second call adds the real figure.
    decade::TokenRequest request{locker, op, name, bytes, used, caller.client_id};
    auto verified = decade::verify_token(caller.token, lookup_, request, now, config_.token_skew_s);
    if (verified && verified->byte_budget != 0) {
        const auto& lk = lockers_.find(locker)->second;  // exists: the MAC matched its secret
        const auto use = lk.tokens.find(verified->token_id);
        if (use != lk.tokens.end() && use->second.bytes != 0) {
            request.budget_used = use->second.bytes;
            verified =
                decade::verify_token(caller.token, lookup_, request, now, config_.token_skew_s);
        }
    }
    if (!verified) {
        const auto code = static_cast<Errc>(verified.error().value());
        const unsigned status = decade::token_error_status(code);
        result = error_result(status == 0 ? 401 : status, decade::token_error_reason(code),
                              verified.error().message());
        return std::nullopt;
    }
    return std::move(*verified);
}

void ServerCore::account(Locker& locker, const decade::TokenClaims& claims, std::uint64_t bytes) {
    auto it = locker.tokens.find(claims.token_id);
    if (it == locker.tokens.end()) {
        if (locker.tokens.size() >= kMaxTokenRecords) {
            // Forget the record whose token expires first: a bounded table, and only
            // tokens at the end of their life lose their budget history.
            auto oldest = std::min_element(
                locker.tokens.begin(), locker.tokens.end(),
                [](const auto& a, const auto& b) { return a.second.expiry_s < b.second.expiry_s; });
            locker.tokens.erase(oldest);
        }
        it = locker.tokens.emplace(claims.token_id, TokenUse{}).first;
    }
    ++it->second.requests;
    it->second.bytes += bytes;
    it->second.expiry_s = claims.expiry_s;
}

const ServerCore::ObjectRef* ServerCore::find_live(const Locker& locker, std::string_view name,
                                                   UnixSeconds now) const {
    const auto it = locker.objects.find(name);
    if (it == locker.objects.end() || it->second.expiry_s <= now) {
        return nullptr;  // an expired reference is gone for readers even before the sweep
    }
    return &it->second;
}

OpResult ServerCore::count(OpResult result, std::string_view op) {
    metrics_
        .counter("decade_requests_total", "Operations handled, by operation and status",
                 {{"op", std::string(op)}, {"status", std::to_string(result.status)}})
        .inc();
    return result;
}

OpResult ServerCore::put(const Caller& caller, std::string_view locker_id, std::string_view name,
                         std::string data, std::optional<std::uint32_t> ttl_s, UnixSeconds now) {
    OpResult result;
    const auto claims = authorize(caller, locker_id, Op::put, name, data.size(), now, result);
    if (!claims) {
        return count(std::move(result), "put");
    }
    if (!decade::is_valid_object_name(name)) {
        return count(error_result(400, "bad_name", "object name invalid"), "put");
    }
    if (data.size() > config_.max_object_bytes) {
        return count(error_result(413, "too_large", "object above the size cap"), "put");
    }
    const std::uint32_t ttl = ttl_s.value_or(0) == 0 ? config_.default_ttl_s : *ttl_s;
    if (ttl > config_.max_ttl_s) {
        return count(error_result(400, "bad_ttl", "TTL above the server's maximum"), "put");
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

OpResult ServerCore::store_object(Locker& locker, std::string_view name, const Blob& blob,
                                  const BlobHash& hash, std::uint32_t ttl_s, UnixSeconds now) {
    const std::uint64_t size = blob->size();
    const auto existing = locker.objects.find(name);
    const std::uint64_t replaced = existing == locker.objects.end() ? 0 : existing->second.size;
    if (existing == locker.objects.end() &&
        locker.objects.size() >= config_.max_objects_per_locker) {
        return error_result(507, "quota_exceeded", "locker holds its maximum object count");
    }
    if (locker.bytes_used - replaced + size > locker.record.quota_bytes) {
        return error_result(507, "quota_exceeded", "the locker's byte quota would be exceeded");
    }
    const auto blob_it = blobs_.find(hash);
    const bool new_blob = blob_it == blobs_.end();
    if (new_blob && blob_bytes_ + size > config_.capacity_bytes) {
        return error_result(507, "server_full", "the server's storage capacity is used up");
    }
    if (new_blob) {
        if (auto stored = store_.put_blob(hash, blob); !stored) {
            return error_result(500, "store_failed", "could not store the object");
        }
    }
    const UnixSeconds expiry = now + static_cast<UnixSeconds>(ttl_s);
    RefRecord record{locker.record.id, std::string(name), hash, size, expiry};
    if (auto saved = store_.save_ref(record); !saved) {
        if (new_blob) {
            store_.remove_blob(hash);
        }
        return error_result(500, "store_failed", "could not record the object");
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

OpResult ServerCore::get(const Caller& caller, std::string_view locker_id, std::string_view name,
                         UnixSeconds now) {
    // Size first (0 when absent) so that the budget check sees the real figure; the
    // token is checked before the answer can tell whether the object exists.
    const auto lk = lockers_.find(locker_id);
    const ObjectRef* ref = lk == lockers_.end() ? nullptr : find_live(lk->second, name, now);
    OpResult result;
    const auto claims =
        authorize(caller, locker_id, Op::get, name, ref ? ref->size : 0, now, result);
    if (!claims) {
        return count(std::move(result), "get");
    }
    Locker& locker = lk->second;
    if (ref == nullptr) {
        return count(error_result(404, "not_found", "no such object"), "get");
    }
    auto blob = store_.get_blob(ref->hash, ref->size);
    if (!blob) {
        // The bytes went bad under us: forget every reference to them, serve nothing.
        const BlobHash hash = ref->hash;
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
        return count(error_result(404, "not_found", "object lost"), "get");
    }
    account(locker, *claims, ref->size);
    locker.bytes_served += ref->size;
    metrics_.counter("decade_bytes_out_total", "Object bytes served by gets")
        .inc(static_cast<double>(ref->size));
    result.status = 200;
    result.data = std::move(*blob);
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
    account(locker, *claims, 0);
    const auto it = locker.objects.find(name);
    if (it == locker.objects.end() || it->second.expiry_s <= now) {
        return count(error_result(404, "not_found", "no such object"), "delete");
    }
    store_.remove_ref(locker.record.id, it->first);
    drop_ref(locker, it);
    result.status = 204;
    return count(std::move(result), "delete");
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
    for (const auto& [id, use] : locker.tokens) {
        (*s->mutable_requests_by_token())[id] = use.requests;
    }
    result.status = 200;
    result.locker_status = std::move(s);
    return count(std::move(result), "status");
}

bool ServerCore::is_self(std::string_view url) const {
    return std::find(config_.self_urls.begin(), config_.self_urls.end(), url) !=
           config_.self_urls.end();
}

bool ServerCore::peer_allowed(std::string_view url) const {
    return config_.allow_any_peer ||
           std::find(config_.peer_servers.begin(), config_.peer_servers.end(), url) !=
               config_.peer_servers.end();
}

RemoteGetStep ServerCore::begin_remote_get(const Caller& caller, const decade_api::RemoteGetOp& op,
                                           UnixSeconds now) {
    const std::string_view name = op.name().empty() ? op.remote_name() : op.name();
    OpResult result;
    // The asker must be allowed to put into its own locker; the size is not known yet,
    // so the budget is checked again with it in finish_remote_get.
    const auto claims = authorize(caller, op.locker(), Op::put, name, 0, now, result);
    if (!claims) {
        return count(std::move(result), "remote_get");
    }
    if (!decade::is_valid_object_name(name) || !decade::is_valid_locker_id(op.remote_locker()) ||
        !decade::is_valid_object_name(op.remote_name())) {
        return count(error_result(400, "bad_request", "invalid remote locker or object name"),
                     "remote_get");
    }
    if (op.ttl_s() > config_.max_ttl_s) {
        return count(error_result(400, "bad_ttl", "TTL above the server's maximum"), "remote_get");
    }
    const std::string server = normalize_server_url(op.remote_server());
    if (server.empty()) {
        return count(error_result(400, "bad_request", "remote_server must be http://host:port"),
                     "remote_get");
    }
    if (is_self(server)) {
        // Same server: check the remote token as a get on the remote locker, then link.
        const auto rl = lockers_.find(op.remote_locker());
        const ObjectRef* ref =
            rl == lockers_.end() ? nullptr : find_live(rl->second, op.remote_name(), now);
        const Caller remote_caller{op.remote_token(), caller.client_id};
        OpResult remote_result;
        const auto remote_claims =
            authorize(remote_caller, op.remote_locker(), Op::get, op.remote_name(),
                      ref ? ref->size : 0, now, remote_result);
        if (!remote_claims) {
            remote_result.error = "remote_" + remote_result.error;
            return count(std::move(remote_result), "remote_get");
        }
        if (ref == nullptr) {
            return count(error_result(404, "not_found", "no such remote object"), "remote_get");
        }
        const ObjectRef linked = *ref;
        OpResult again;
        const auto put_claims =
            authorize(caller, op.locker(), Op::put, name, linked.size, now, again);
        if (!put_claims) {
            return count(std::move(again), "remote_get");
        }
        auto blob = store_.get_blob(linked.hash, linked.size);
        if (!blob) {
            return count(error_result(404, "not_found", "remote object lost"), "remote_get");
        }
        Locker& asker = lockers_.find(op.locker())->second;
        const std::uint32_t ttl = op.ttl_s() == 0 ? config_.default_ttl_s : op.ttl_s();
        result = store_object(asker, name, *blob, linked.hash, ttl, now);
        if (!result.ok()) {
            return count(std::move(result), "remote_get");
        }
        Locker& owner = lockers_.find(op.remote_locker())->second;
        account(owner, *remote_claims, linked.size);
        owner.bytes_served += linked.size;
        account(asker, *put_claims, linked.size);
        metrics_.counter("decade_remote_get_links_total", "Remote Gets served by linking").inc();
        result.status = 200;
        result.data = std::move(*blob);
        return count(std::move(result), "remote_get");
    }
    if (!peer_allowed(server)) {
        return count(error_result(403, "remote_not_allowed",
                                  "remote_server is not a configured peer server"),
                     "remote_get");
    }
    RemoteFetch fetch;
    fetch.url = server + decade::object_target(op.remote_locker(), op.remote_name());
    fetch.token = op.remote_token();
    fetch.max_bytes = config_.max_object_bytes;
    return fetch;
}

OpResult ServerCore::finish_remote_get(const Caller& caller, const decade_api::RemoteGetOp& op,
                                       const FetchOutcome& fetched, UnixSeconds now) {
    const std::string_view name = op.name().empty() ? op.remote_name() : op.name();
    if (fetched.http_status != 200) {
        metrics_.counter("decade_remote_fetch_failures_total", "Server-to-server fetches failed")
            .inc();
        if (fetched.http_status == 404) {
            return count(error_result(404, "not_found", "remote object not found"), "remote_get");
        }
        if (fetched.http_status == 401 || fetched.http_status == 403) {
            return count(error_result(403, "remote_refused", "the remote server refused the token"),
                         "remote_get");
        }
        if (fetched.http_status == 503) {
            return count(error_result(503, "remote_busy", "the remote server is busy"),
                         "remote_get");
        }
        return count(error_result(502, "remote_failed",
                                  fetched.http_status == 0
                                      ? fetched.failure
                                      : "remote answered " + std::to_string(fetched.http_status)),
                     "remote_get");
    }
    if (fetched.body.size() > config_.max_object_bytes) {
        return count(error_result(502, "remote_failed", "remote object above the size cap"),
                     "remote_get");
    }
    OpResult result;
    const auto claims =
        authorize(caller, op.locker(), Op::put, name, fetched.body.size(), now, result);
    if (!claims) {
        return count(std::move(result), "remote_get");
    }
    Locker& asker = lockers_.find(op.locker())->second;
    const BlobHash hash = hash_content(fetched.body);
    auto blob = std::make_shared<const std::string>(fetched.body);
    const std::uint32_t ttl = op.ttl_s() == 0 ? config_.default_ttl_s : op.ttl_s();
    result = store_object(asker, name, blob, hash, ttl, now);
    if (!result.ok()) {
        return count(std::move(result), "remote_get");
    }
    account(asker, *claims, blob->size());
    asker.bytes_stored += blob->size();
    metrics_.counter("decade_remote_fetch_bytes_total", "Bytes fetched from other servers")
        .inc(static_cast<double>(blob->size()));
    result.status = 200;
    result.data = std::move(blob);
    return count(std::move(result), "remote_get");
}

std::size_t ServerCore::sweep(UnixSeconds now) {
    std::size_t dropped = 0;
    while (!expiries_.empty() && std::get<0>(*expiries_.begin()) <= now) {
        const auto [expiry, locker_id, name] = *expiries_.begin();
        auto lk = lockers_.find(locker_id);
        if (lk == lockers_.end()) {
            expiries_.erase(expiries_.begin());
            continue;
        }
        auto it = lk->second.objects.find(name);
        if (it == lk->second.objects.end() || it->second.expiry_s != expiry) {
            expiries_.erase(expiries_.begin());
            continue;
        }
        store_.remove_ref(locker_id, name);
        drop_ref(lk->second, it);
        ++dropped;
    }
    // Token-use records of expired tokens (plus the skew allowance) are no longer needed.
    for (auto& [id, locker] : lockers_) {
        std::erase_if(locker.tokens, [&](const auto& entry) {
            return entry.second.expiry_s + config_.token_skew_s < now;
        });
    }
    if (dropped != 0) {
        metrics_.counter("decade_expired_objects_total", "References dropped by TTL")
            .inc(static_cast<double>(dropped));
    }
    return dropped;
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

std::string ServerCore::render_metrics() {
    metrics_.gauge("decade_blob_bytes", "Bytes stored, each distinct object once")
        .set(static_cast<double>(blob_bytes_));
    metrics_.gauge("decade_blobs", "Distinct objects stored")
        .set(static_cast<double>(blobs_.size()));
    metrics_.gauge("decade_logical_bytes", "Bytes held by all lockers, counted per locker")
        .set(static_cast<double>(logical_bytes_));
    metrics_.gauge("decade_lockers", "Lockers").set(static_cast<double>(lockers_.size()));
    metrics_.gauge("decade_capacity_bytes", "Storage capacity")
        .set(static_cast<double>(config_.capacity_bytes));
    return metrics_.render();
}

}  // namespace p2pls::decade_server
