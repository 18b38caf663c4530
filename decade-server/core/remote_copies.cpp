// Copies from other servers, fetched once per remote token. Peers of one region copy a new
// object from the same holder (the source's locker, most often) within a second of each
// other; without this, each of them made its own server-to-server copy across the WAN and
// the holder's server sent the object once per asker instead of once per server.
//
// A later Remote Get may link what an earlier one fetched only when it presents the same
// remote URL and the same remote bearer token: the other server checked exactly that
// token for exactly that object, and the link lasts no longer than the token's expiry.
// The asker's own put token is checked and charged as for any Remote Get. Anything else
// (another holder's locker, a new token) is fetched as before.
#include "decade-server/core/server_core.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {

std::optional<OpResult> ServerCore::reuse_copy(const Caller& caller,
                                               const decade_api::RemoteGetOp& op,
                                               const RemoteFetch& fetch, UnixSeconds now,
                                               std::uint64_t max_bytes) {
    const auto it = copies_.find(fetch.key());
    if (it == copies_.end()) {
        return std::nullopt;
    }
    const RemoteCopy copy = it->second;
    const auto blob_it = blobs_.find(copy.hash);
    if (copy.until <= now || blob_it == blobs_.end() || blob_it->second.refs == 0) {
        copy_expiries_.erase({copy.until, it->first});
        copies_.erase(it);
        return std::nullopt;
    }
    if (copy.size > max_bytes) {
        return std::nullopt;  // the fetch gives the exact refusal
    }
    boost::system::error_code read_error;
    OpResult result = link_blob(caller, op, copy.hash, copy.size, now, read_error);
    if (read_error) {
        return std::nullopt;  // unreadable here now: the other server still has it
    }
    if (result.ok()) {
        metrics_
            .counter("decade_remote_get_reused_copies_total",
                     "Remote Gets served from a copy this server already fetched with that token")
            .inc();
    }
    return result;
}

void ServerCore::remember_copy(const decade_api::RemoteGetOp& op, const BlobHash& hash,
                               std::uint64_t size, UnixSeconds now) {
    const auto claims = decade::decode_token_unverified(op.remote_token());
    if (!claims || claims->expiry_s <= now || config_.max_remembered_copies == 0) {
        return;
    }
    while (!copy_expiries_.empty() && (copy_expiries_.begin()->first <= now ||
                                       copies_.size() >= config_.max_remembered_copies)) {
        copies_.erase(copy_expiries_.begin()->second);
        copy_expiries_.erase(copy_expiries_.begin());
    }
    std::string key = remote_fetch(op, 0).key();
    if (const auto old = copies_.find(key); old != copies_.end()) {
        copy_expiries_.erase({old->second.until, key});
    }
    copy_expiries_.emplace(claims->expiry_s, key);
    copies_.insert_or_assign(std::move(key), RemoteCopy{hash, size, claims->expiry_s});
}

}  // namespace p2pls::decade_server
