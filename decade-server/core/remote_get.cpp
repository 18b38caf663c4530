// Remote Get (draft §3): the object of another locker lands in the asker's locker, linked
// when it is on this server, fetched server to server otherwise.
#include <algorithm>

#include "decade-module/core/object_name.hpp"
#include "decade-module/core/requests.hpp"
#include "decade-server/core/server_core.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {

using decade::Op;

bool ServerCore::is_self(std::string_view url) const {
    return std::find(config_.self_urls.begin(), config_.self_urls.end(), url) !=
           config_.self_urls.end();
}

OpResult ServerCore::link_blob(const Caller& caller, const decade_api::RemoteGetOp& op,
                               const BlobHash& hash, std::uint64_t size, UnixSeconds now,
                               boost::system::error_code& read_error) {
    const std::string_view name = op.name().empty() ? op.remote_name() : op.name();
    OpResult result;
    const auto claims = authorize(caller, op.locker(), Op::put, name, size, now, result);
    if (!claims) {
        return result;
    }
    auto blob = store_.get_blob(hash, size);
    if (!blob) {
        read_error = blob.error();
        return result;
    }
    Locker& asker = lockers_.find(op.locker())->second;
    const std::uint32_t ttl = op.ttl_s() == 0 ? config_.default_ttl_s : op.ttl_s();
    result = store_object(asker, name, *blob, hash, ttl, now);
    if (!result.ok()) {
        return result;
    }
    account(asker, *claims, size);
    result.status = 200;
    result.data = std::move(*blob);
    return result;
}

bool ServerCore::peer_allowed(std::string_view url) const {
    return config_.allow_any_peer ||
           std::find(config_.peer_servers.begin(), config_.peer_servers.end(), url) !=
               config_.peer_servers.end();
}

RemoteGetStep ServerCore::begin_remote_get(const Caller& caller, const decade_api::RemoteGetOp& op,
                                           UnixSeconds now, std::uint64_t max_bytes) {
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
        return count(error_result(HttpErrc::bad_request, "invalid remote locker or object name"),
                     "remote_get");
    }
    if (op.ttl_s() > config_.max_ttl_s) {
        return count(error_result(HttpErrc::bad_ttl, "TTL above the server's maximum"),
                     "remote_get");
    }
    const std::string server = normalize_server_url(op.remote_server());
    if (server.empty()) {
        return count(error_result(HttpErrc::bad_request, "remote_server must be http://host:port"),
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
                      ref ? ref->size : 0, now, remote_result, /*remote=*/true);
        if (!remote_claims) {
            return count(std::move(remote_result), "remote_get");
        }
        if (ref == nullptr) {
            return count(error_result(HttpErrc::not_found, "no such remote object"), "remote_get");
        }
        if (ref->size > max_bytes) {
            return count(error_result(HttpErrc::batch_response_too_large,
                                      "the batch's objects exceed the response cap; ask again"),
                         "remote_get");
        }
        const ObjectRef linked = *ref;
        boost::system::error_code read_error;
        result = link_blob(caller, op, linked.hash, linked.size, now, read_error);
        if (read_error) {
            return count(read_failed(linked.hash, read_error), "remote_get");
        }
        if (result.ok()) {
            Locker& owner = lockers_.find(op.remote_locker())->second;
            account(owner, *remote_claims, linked.size);
            owner.bytes_served += linked.size;
            metrics_.counter("decade_remote_get_links_total", "Remote Gets served by linking")
                .inc();
        }
        return count(std::move(result), "remote_get");
    }
    if (!peer_allowed(server)) {
        return count(error_result(HttpErrc::remote_not_allowed,
                                  "remote_server is not a configured peer server"),
                     "remote_get");
    }
    // The size is not known until the remote answers, so the fetch itself is bounded by
    // what the asker may still take: a spent budget moves no byte on the other server.
    const std::uint64_t may_take =
        std::min({config_.max_object_bytes,
                  budget_left(lockers_.find(op.locker())->second, *claims), max_bytes});
    if (may_take == 0) {
        const HttpErrc why =
            max_bytes == 0 ? HttpErrc::batch_response_too_large : HttpErrc::token_budget_exhausted;
        return count(error_result(why, "nothing left to take under this token or batch"),
                     "remote_get");
    }
    // Room for the remote's error body, so that a small limit still hears a 403 or 404.
    constexpr std::uint64_t kErrorBodyRoom = 4096;
    RemoteFetch fetch =
        remote_fetch(op, std::min(config_.max_object_bytes, std::max(may_take, kErrorBodyRoom)));
    if (auto linked = reuse_copy(caller, op, fetch, now, may_take)) {
        return count(std::move(*linked), "remote_get");
    }
    return fetch;
}

RemoteFetch ServerCore::remote_fetch(const decade_api::RemoteGetOp& op, std::uint64_t max_bytes) {
    RemoteFetch fetch;
    fetch.url = normalize_server_url(op.remote_server()) +
                decade::object_target(op.remote_locker(), op.remote_name());
    fetch.token = op.remote_token();
    fetch.max_bytes = max_bytes;
    return fetch;
}

OpResult ServerCore::finish_remote_get(const Caller& caller, const decade_api::RemoteGetOp& op,
                                       const FetchOutcome& fetched, UnixSeconds now,
                                       std::uint64_t max_bytes) {
    const std::string_view name = op.name().empty() ? op.remote_name() : op.name();
    if (fetched.too_large) {
        return count(error_result(HttpErrc::too_large,
                                  "the remote object is larger than this Remote Get may take "
                                  "(object cap, the token's budget or the batch's room)"),
                     "remote_get");
    }
    if (fetched.http_status != 200) {
        metrics_.counter("decade_remote_fetch_failures_total", "Server-to-server fetches failed")
            .inc();
        if (fetched.http_status == 404) {
            return count(error_result(HttpErrc::not_found, "remote object not found"),
                         "remote_get");
        }
        if (fetched.http_status == 401 || fetched.http_status == 403) {
            return count(
                error_result(HttpErrc::remote_refused, "the remote server refused the token"),
                "remote_get");
        }
        if (fetched.http_status == 503) {
            return count(error_result(HttpErrc::remote_busy, "the remote server is busy"),
                         "remote_get");
        }
        return count(error_result(HttpErrc::remote_failed,
                                  fetched.http_status == 0
                                      ? fetched.failure
                                      : "remote answered " + std::to_string(fetched.http_status)),
                     "remote_get");
    }
    if (fetched.body.size() > config_.max_object_bytes) {
        return count(error_result(HttpErrc::remote_failed, "remote object above the size cap"),
                     "remote_get");
    }
    if (fetched.body.size() > max_bytes) {
        return count(error_result(HttpErrc::batch_response_too_large,
                                  "the batch's objects exceed the response cap; ask again"),
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
    if (!fetched.shared) {
        remember_copy(op, hash, blob->size(), now);
        metrics_.counter("decade_remote_fetch_bytes_total", "Bytes fetched from other servers")
            .inc(static_cast<double>(blob->size()));
    }
    result.status = 200;
    result.data = std::move(blob);
    return count(std::move(result), "remote_get");
}

}  // namespace p2pls::decade_server
