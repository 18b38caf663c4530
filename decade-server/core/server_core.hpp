// The DECADE server's state and operations (DESIGN.md §3 "DECADE", draft §3): lockers,
// object references with TTLs, quotas, per-locker stats and Put / Get / Delete / Status /
// Remote Get as plain functions from a request to a result. No I/O: bytes live behind the
// BlobStore interface, time is passed in, and a Remote Get that needs another server comes
// back as a RemoteFetch for the caller to perform. decade-server/core/api.hpp puts the
// HTTP routes in front of it.
//
// One class, its methods kept by idea in their own files: server_core.cpp (construction,
// sweep, metrics), lockers.cpp, authorize.cpp, blob_refs.cpp (content-addressed
// references), object_ops.cpp (put / get / delete / refresh / status), remote_get.cpp,
// remote_copies.cpp (copies from other servers, fetched once per remote token).
//
// Every object access checks its token with decade::verify_token first — before the
// object's existence is revealed — so a bad token always gets 401/403 and no data.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/metrics_registry.hpp"
#include "common/core/time.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/blob_store.hpp"
#include "decade-server/core/content_hash.hpp"
#include "decade-server/core/op_result.hpp"

namespace p2pls::decade_api {
class LockerStatus;
class RegisterLockerRequest;
class RegisterLockerResponse;
class RemoteGetOp;
}  // namespace p2pls::decade_api

namespace p2pls::decade_server {

// What one object costs a locker's quota on top of its bytes: its reference (map and expiry
// entries, the name: about 300 bytes of memory) and, with a directory store, its record
// file. Without it, zero-byte objects would be free and a locker could fill the server's
// memory with names. 1 KiB keeps a 256 MiB quota at 262,144 objects at most.
inline constexpr std::uint64_t kObjectChargeBytes = 1024;

struct ServerConfig {
    std::uint64_t capacity_bytes = 1ULL << 30;     // all blobs together (stored once each)
    std::uint64_t max_object_bytes = 16ULL << 20;  // one object
    // Charged to the quota for every object, whatever its size (kObjectChargeBytes).
    std::uint64_t object_charge_bytes = kObjectChargeBytes;
    std::uint32_t default_ttl_s = 600;  // when a put names none
    std::uint32_t max_ttl_s = 7 * 24 * 3600;
    std::int64_t token_skew_s = decade::kDefaultSkewS;
    std::uint64_t default_quota_bytes = 256ULL << 20;  // for lockers registered at run time
    std::size_t max_lockers = 100'000;
    std::size_t max_objects_per_locker = 1'000'000;
    // Remote Get: base URLs ("http://host:port") this server may fetch from. The URLs
    // under which this server itself is reached go in self_urls (a Remote Get naming one
    // links the blob, no copy).
    std::vector<std::string> peer_servers;
    bool allow_any_peer = false;
    std::vector<std::string> self_urls;
    // Copies fetched from other servers that a Remote Get presenting the same remote URL
    // and the same remote token may link instead of fetching again (remote_copies.cpp).
    std::size_t max_remembered_copies = 4096;
};

// A Remote Get that must fetch from another server: GET `url` with `token` as bearer.
// `max_bytes` bounds the answer: the object cap, the asker's token budget and the batch's
// room, plus room for an error body; finish_remote_get checks the exact limits again.
struct RemoteFetch {
    std::string url;
    std::string token;
    std::uint64_t max_bytes = 0;

    // The same GET with the same bearer token: what an adapter may fetch once for many
    // askers (a larger max_bytes may carry a smaller one's answer, not the other way).
    [[nodiscard]] std::string key() const { return url + ' ' + token; }
};

using RemoteGetStep = std::variant<OpResult, RemoteFetch>;

// What the adapter got back from a RemoteFetch.
struct FetchOutcome {
    unsigned http_status = 0;  // 0 = no HTTP answer (connect failed, timeout, too large)
    std::string body;
    std::string failure;     // why, when http_status is 0
    bool too_large = false;  // the answer passed RemoteFetch::max_bytes and was cut off
    bool shared = false;     // another asker's fetch: its bytes crossed (and count) once
};

struct LockerInfo {
    LockerRecord record;
    std::uint64_t bytes_used = 0;
    std::uint64_t bytes_served = 0;
    std::uint64_t bytes_stored = 0;  // total put into it
    std::size_t objects = 0;
};

class ServerCore {
  public:
    static constexpr std::uint64_t kNoByteLimit = UINT64_MAX;

    ServerCore(ServerConfig config, BlobStore& store);

    ServerCore(const ServerCore&) = delete;
    ServerCore& operator=(const ServerCore&) = delete;

    // --- lockers ---
    // From the accounts file at start-up (replaces the quota/share/secret of a known id).
    Result<void> add_locker(const LockerRecord& record);
    // POST /v1/lockers: the adapter draws `id` and `secret`. 400 on bad values, 409 when
    // the id exists, 507 when the locker table is full.
    OpResult register_locker(const decade_api::RegisterLockerRequest& request, std::string id,
                             const decade::LockerSecret& secret,
                             decade_api::RegisterLockerResponse& out);
    // Rebuilds lockers and references from what a durable store recovered. Call it after
    // the accounts file's lockers are added: references to lockers still unknown are
    // left on disk and not served.
    void restore(const RecoveredState& state, UnixSeconds now);

    // --- the draft's calls ---
    // Every refusal (a 4xx, a 503, a 507) charges nothing: no budget bytes, no request.
    // A store that cannot read or write now gives 503 store_unavailable and changes
    // nothing; only a blob that is gone for good (blob_store.hpp) loses its references.
    OpResult put(const Caller& caller, std::string_view locker, std::string_view name,
                 std::string data, std::optional<std::uint32_t> ttl_s, UnixSeconds now);
    // `max_bytes`: what the answer may still carry (a batch's room); a larger object gets
    // 413 batch_response_too_large before anything is read or charged. `form`: a whole
    // GET takes the object as a file when the store keeps files (OpResult::file).
    // `range`: an HTTP Range header (http_range.hpp); a part is charged (to the token's
    // budget and the egress) by its own length, one that starts past the end is 416.
    OpResult get(const Caller& caller, std::string_view locker, std::string_view name,
                 UnixSeconds now, std::uint64_t max_bytes = kNoByteLimit,
                 ObjectForm form = ObjectForm::bytes, std::string_view range = {});
    OpResult remove(const Caller& caller, std::string_view locker, std::string_view name,
                    UnixSeconds now);
    // A live object's expiry becomes now + ttl_s (0 or absent: the default TTL), written
    // durably before the 204; a put token for the name is needed. For an owner that keeps
    // objects longer than --max-ttl without sending them again.
    OpResult refresh(const Caller& caller, std::string_view locker, std::string_view name,
                     std::optional<std::uint32_t> ttl_s, UnixSeconds now);
    OpResult status(const Caller& caller, std::string_view locker, UnixSeconds now);
    // Remote Get, step 1: checks the asker's put token and the remote server; links at
    // once when the remote is this server; otherwise says what to fetch.
    // `max_bytes` as for get.
    RemoteGetStep begin_remote_get(const Caller& caller, const decade_api::RemoteGetOp& op,
                                   UnixSeconds now, std::uint64_t max_bytes = kNoByteLimit);
    // Step 2: stores what was fetched in the asker's locker and returns it.
    OpResult finish_remote_get(const Caller& caller, const decade_api::RemoteGetOp& op,
                               const FetchOutcome& fetched, UnixSeconds now,
                               std::uint64_t max_bytes = kNoByteLimit);

    // Drops every reference whose TTL has passed and every blob nobody holds; returns
    // the number of references dropped.
    std::size_t sweep(UnixSeconds now);

    // --- introspection ---
    [[nodiscard]] std::optional<LockerInfo> locker_info(std::string_view locker) const;
    [[nodiscard]] std::uint32_t bandwidth_share(std::string_view locker) const;
    [[nodiscard]] std::uint64_t blob_bytes() const noexcept { return blob_bytes_; }
    [[nodiscard]] std::size_t blob_count() const noexcept { return blobs_.size(); }
    [[nodiscard]] std::uint64_t logical_bytes() const noexcept { return logical_bytes_; }
    // References held by all lockers (expired ones count until the sweep drops them).
    [[nodiscard]] std::size_t reference_count() const noexcept;
    [[nodiscard]] const ServerConfig& config() const noexcept { return config_; }
    // Prometheus text for GET /metrics (gauges refreshed on each call).
    std::string render_metrics();
    MetricsRegistry& metrics() noexcept { return metrics_; }

  private:
    struct ObjectRef {
        BlobHash hash{};
        std::uint64_t size = 0;
        UnixSeconds expiry_s = 0;
    };
    struct TokenUse {
        std::uint64_t requests = 0;
        std::uint64_t bytes = 0;
        UnixSeconds expiry_s = 0;  // forgotten by the sweep after the token expired
    };
    struct Locker {
        LockerRecord record;
        decade::LockerKey key{decade::LockerSecret{}};
        std::map<std::string, ObjectRef, std::less<>> objects;
        std::map<std::uint64_t, TokenUse> tokens;  // by token id
        std::uint64_t bytes_used = 0;
        std::uint64_t bytes_served = 0;
        std::uint64_t bytes_stored = 0;
    };
    struct BlobEntry {
        std::uint64_t size = 0;
        std::uint32_t refs = 0;
    };

    // Checks the token for one access; on failure fills `result` with 401/403 (the
    // remote_token_* codes when `remote`: the remote token of a linking Remote Get).
    std::optional<decade::TokenClaims> authorize(const Caller& caller, std::string_view locker,
                                                 decade::Op op, std::string_view name,
                                                 std::uint64_t bytes, UnixSeconds now,
                                                 OpResult& result, bool remote = false);
    void account(Locker& locker, const decade::TokenClaims& claims, std::uint64_t bytes);
    // Bytes the token may still move (kNoByteLimit when it has no budget).
    [[nodiscard]] std::uint64_t budget_left(const Locker& locker,
                                            const decade::TokenClaims& claims) const;
    // What the quota counts for an object of `size` bytes.
    [[nodiscard]] std::uint64_t quota_charge(std::uint64_t size) const noexcept {
        return size + config_.object_charge_bytes;
    }
    // A get_blob that failed: the references go only when the blob is gone for good
    // (404); otherwise 503 and nothing changes.
    OpResult read_failed(const BlobHash& hash, const boost::system::error_code& error);
    // A live (unexpired) reference, or nullptr.
    const ObjectRef* find_live(const Locker& locker, std::string_view name, UnixSeconds now) const;
    // Adds or replaces locker[name] -> blob; checks quota and capacity (507) first.
    OpResult store_object(Locker& locker, std::string_view name, const Blob& blob,
                          const BlobHash& hash, std::uint32_t ttl_s, UnixSeconds now);
    void drop_ref(Locker& locker, std::map<std::string, ObjectRef, std::less<>>::iterator it);
    void release_blob(const BlobHash& hash);
    // The bytes of `hash` went bad: every reference to them is dropped.
    void forget_blob(const BlobHash& hash);
    bool is_self(std::string_view url) const;
    bool peer_allowed(std::string_view url) const;
    OpResult count(OpResult result, std::string_view op);
    // A Remote Get's last step when the blob is already here (a link on this server, or
    // a copy fetched before): checks the asker's put token for `size` bytes, stores blob
    // `hash` as the target object and charges the asker. The blob's bytes are the answer.
    // A blob that cannot be read now leaves `read_error` set and changes nothing.
    OpResult link_blob(const Caller& caller, const decade_api::RemoteGetOp& op,
                       const BlobHash& hash, std::uint64_t size, UnixSeconds now,
                       boost::system::error_code& read_error);
    // Copies from other servers (remote_copies.cpp): a Remote Get whose fetch would repeat
    // one this server made with the same token, while that token is valid and the blob is
    // still here, links the blob instead. nullopt: fetch it.
    std::optional<OpResult> reuse_copy(const Caller& caller, const decade_api::RemoteGetOp& op,
                                       const RemoteFetch& fetch, UnixSeconds now,
                                       std::uint64_t max_bytes);
    void remember_copy(const decade_api::RemoteGetOp& op, const BlobHash& hash, std::uint64_t size,
                       UnixSeconds now);
    // What a Remote Get of `op` asks the other server for.
    [[nodiscard]] static RemoteFetch remote_fetch(const decade_api::RemoteGetOp& op,
                                                  std::uint64_t max_bytes);

    ServerConfig config_;
    BlobStore& store_;
    std::map<std::string, Locker, std::less<>> lockers_;
    std::map<BlobHash, BlobEntry> blobs_;
    std::set<std::tuple<UnixSeconds, std::string, std::string>> expiries_;
    struct RemoteCopy {
        BlobHash hash{};
        std::uint64_t size = 0;
        UnixSeconds until = 0;  // the remote token's expiry
    };
    std::map<std::string, RemoteCopy, std::less<>> copies_;  // by RemoteFetch::key()
    std::set<std::pair<UnixSeconds, std::string>> copy_expiries_;
    std::uint64_t blob_bytes_ = 0;
    std::uint64_t logical_bytes_ = 0;
    decade::SecretLookup lookup_;
    MetricsRegistry metrics_;
    // decade_requests_total by op, then status: found without building its labels (a
    // vector of strings) on every request.
    std::map<std::string, std::map<unsigned, MetricsRegistry::Series*>, std::less<>>
        request_counters_;
};

// a + b, clamped to the range of UnixSeconds instead of overflowing.
[[nodiscard]] UnixSeconds saturating_add(UnixSeconds a, std::int64_t b) noexcept;

// "http://Host:Port/" -> "http://host:port" (lower-case scheme and host, no trailing
// slash); empty when it is not an http:// URL with a host.
std::string normalize_server_url(std::string_view url);

}  // namespace p2pls::decade_server
