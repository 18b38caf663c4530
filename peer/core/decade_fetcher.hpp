// A peer's DECADE side (DESIGN.md §4, "DECADE mode"; draft §4): everything the engine
// knows about storage, so that native mode never sees it.
//
//  - Range tokens: every buffer map carries a get-token for our locker over the objects
//    of the window it shows (the origin's runs a token lifetime further, to cover the
//    chunks it will announce), re-minted when the window moves or after a second. All
//    tokens (range, fetch, put) are minted by one function here.
//  - Fetching: each scheduler tick, one holder per missing object (decade_holders.hpp),
//    planned with the module's batching policy (decade::plan_requests): urgent objects
//    alone, the rest in batches, at most m requests in flight. Each op is a Remote Get
//    into our own locker. Every chunk is verified before it is stored.
//  - Failures: a 503 blocks requests for its Retry-After, an unreachable or slow server
//    for down_backoff; the engine then asks natively (blocked()). A token refusal drops
//    that holder's token until its next buffer map. A slow copy across servers or a
//    timeout calms cross-server copies for cross_server_calm.
//  - Origin mode: each object of k chunks is put into our locker (tried up to 3 times),
//    and advertised once stored.
//
// Like the engine, it reads no clock: time comes with every call; wall-clock seconds
// for tokens are DecadeConfig::unix_offset_s + now.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/core/time.hpp"
#include "p2pls/peer.pb.h"
#include "peer/core/actions.hpp"
#include "peer/core/chunk_store.hpp"
#include "peer/core/decade_holders.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/neighbor_table.hpp"
#include "peer/core/playback.hpp"
#include "peer/core/traffic.hpp"

namespace p2pls::peer {

struct DecadeStats {
    std::uint64_t requests = 0;         // DecadeFetch actions sent
    std::uint64_t batches = 0;          // ... of which carried more than one object
    std::uint64_t batched_objects = 0;  // objects in those batches
    std::uint64_t objects_fetched = 0;
    std::uint64_t bytes_from_decade = 0;  // object bytes received by Remote Get
    std::uint64_t control_bytes = 0;      // DECADE request/reply bytes that were not data
    std::uint64_t failed_requests = 0;    // busy, unavailable, timeout
    std::uint64_t fallbacks = 0;          // chunks asked natively because of DECADE
    std::uint64_t token_failures = 0;     // objects refused for a token, bad tokens seen
    std::uint64_t puts = 0, put_failures = 0;
    std::uint64_t cross_server = 0;  // objects asked of a holder on another server
};

class DecadeFetcher {
  public:
    // Reads channel, peer id, the channel key, origin and `decade` from `config`.
    explicit DecadeFetcher(const EngineConfig& config);

    [[nodiscard]] bool enabled() const noexcept { return config_.decade.enabled; }
    // k, clamped to what an object may hold.
    [[nodiscard]] std::uint32_t object_chunks() const noexcept { return k_; }
    // The first seq of the object holding `seq`.
    [[nodiscard]] ChunkSeq object_of(ChunkSeq seq) const;
    // Whether storage is failing: native fetches stand in until then.
    [[nodiscard]] bool blocked(TimePoint now) const { return now < blocked_until_; }
    // Whether copies across servers are calmed (DecadeConfig::cross_server_calm).
    [[nodiscard]] bool calm(TimePoint now) const { return now < calm_until_; }
    // Requests in flight (at most m).
    [[nodiscard]] std::size_t in_flight() const noexcept { return fetches_.size(); }
    // Chunks a request in flight is still bringing in time: out for less than half of what
    // the chunk had left when asked. The engine does not ask them natively as well.
    [[nodiscard]] std::set<ChunkSeq> awaited(const Playback& playback, TimePoint now) const;

    // A get-token for our locker over object seqs [first, last], expiring token_lifetime
    // from now. Empty when not in DECADE mode or when it cannot be minted.
    [[nodiscard]] std::string mint_range_token(ChunkSeq first, ChunkSeq last, TimePoint now) const;

    // A neighbour's buffer map carried this token: kept in `n` when well formed and
    // naming what it claims to (the MAC is for the server to check), else dropped.
    void on_range_token(Neighbor& n, const wire::RangeToken& token);
    // Our buffer map shows only what our locker holds. It carries our range token when
    // the neighbour has not had this one: `sent` is the generation it has (0: none),
    // updated here.
    void fill_buffer_map(wire::BufferMap& bm, const ChunkStore& store, TimePoint now,
                         std::uint64_t& sent);

    // A scheduler tick: fails requests past fetch_timeout, then plans new ones for what
    // is missing from the playhead to `live_edge` and not asked natively. Marks holders
    // useful (and everyone, when nothing is missing). `rng` picks among equal holders.
    [[nodiscard]] std::vector<DecadeFetch> schedule(NeighborTable& table, const ChunkStore& store,
                                                    const Playback& playback, ChunkSeq live_edge,
                                                    std::uint64_t chunk_bytes, std::mt19937_64& rng,
                                                    TimePoint now);

    // The answer to a DecadeFetch. Verified chunks go into `store` (counted in `traffic`,
    // `chunk_bytes` follows their size); a holder whose object fails verification is
    // banned in `table` and handed to `drop`.
    struct Fetched {
        bool known = false;               // an id we are waiting for
        bool delivered = false;           // the request succeeded as a whole
        std::vector<ChunkSeq> advertise;  // seqs newly in our locker: tell the neighbours
    };
    [[nodiscard]] Fetched on_fetched(std::uint64_t id, const DecadeResult& result,
                                     NeighborTable& table, ChunkStore& store, Traffic& traffic,
                                     std::uint64_t& chunk_bytes,
                                     const std::function<void(NeighborId, std::string)>& drop,
                                     TimePoint now);

    // Origin mode: `seq` was published; when it completes an object, the put for it.
    [[nodiscard]] std::optional<DecadePut> on_origin_chunk(ChunkSeq seq, const ChunkStore& store,
                                                           TimePoint now);
    // The answer to a DecadePut: on success the seqs to advertise; on failure the next
    // try (up to 3 in all) while the chunks are still in our window.
    struct PutOutcome {
        std::vector<ChunkSeq> advertise;
        std::optional<DecadePut> retry;
    };
    [[nodiscard]] PutOutcome on_put(std::uint64_t id, const DecadeResult& result,
                                    const ChunkStore& store, TimePoint now);

    // Every maintenance interval: retries puts past fetch_timeout (the returned puts),
    // forgets what fell out of the window and neighbours' expired tokens.
    [[nodiscard]] std::vector<DecadePut> maintain(NeighborTable& table, const ChunkStore& store,
                                                  TimePoint now);

    // A chunk is being asked natively because of DECADE (counted once per seq).
    void count_fallback(ChunkSeq seq);

    [[nodiscard]] const DecadeStats& stats() const noexcept { return stats_; }
    // The first seq of each object of fetch `id` in op order (empty when not in flight).
    [[nodiscard]] std::vector<ChunkSeq> objects_of(std::uint64_t id) const {
        const auto it = fetches_.find(id);
        return it == fetches_.end() ? std::vector<ChunkSeq>{} : it->second.objects;
    }
    [[nodiscard]] const std::set<ChunkSeq>& locker() const noexcept { return locker_; }

  private:
    struct FetchState {
        std::vector<ChunkSeq> objects;  // first seq of each object, in op order
        std::vector<NeighborId> holders;
        std::size_t cross_server = 0;  // ops that copy from another server
        TimePoint sent_at{};
    };
    struct PutState {
        std::vector<ChunkSeq> seqs;
        std::shared_ptr<const std::string> data;
        std::string name;
        TimePoint sent_at{};
        std::uint32_t attempts = 0;
    };
    struct CachedToken {
        wire::RangeToken token;
        ChunkSeq first, last;  // the object seqs it names
        TimePoint minted{};
        std::uint64_t generation = 0;  // 1, 2, ...: which token a neighbour has
    };

    [[nodiscard]] UnixSeconds unix_now(TimePoint now) const;
    // The one place tokens for our locker are made: ops (decade::op_bit mask) on object
    // seqs [first, last], valid from a second ago for `lifetime_s` whole seconds.
    [[nodiscard]] std::optional<std::string> mint(std::uint8_t ops, ChunkSeq first, ChunkSeq last,
                                                  std::int64_t lifetime_s, std::uint64_t token_id,
                                                  TimePoint now) const;
    void fail_fetch(std::uint64_t id, Errc code, Duration retry_after, TimePoint now);
    // Batching (objects of one chunk): a lone object that is not urgent waits up to two
    // chunks' time for another one, so that one request carries both. Per object, a request costs
    // two tokens, two names and the HTTP headers: about 500 bytes, 1.4 % of a 300 kbit/s stream
    // when every object went alone. Removes it from `wants` while it waits.
    void hold_lone_object(std::vector<DecadeChoice>& wants, const Playback& playback,
                          TimePoint now);
    [[nodiscard]] std::vector<ChunkSeq> stored(const std::vector<ChunkSeq>& seqs,
                                               const ChunkStore& store);

    EngineConfig config_;
    std::uint32_t k_;
    std::string prefix_;  // our object names: prefix + first seq
    std::uint64_t peer_key_;

    std::map<std::uint64_t, FetchState> fetches_;
    std::map<ChunkSeq, std::uint64_t> objects_in_flight_;  // object -> fetch id
    std::map<ChunkSeq, TimePoint> wanted_since_;           // object -> first chosen
    std::map<std::uint64_t, PutState> puts_;
    std::set<ChunkSeq> locker_;         // seqs our locker holds
    std::set<ChunkSeq> fallback_seqs_;  // seqs counted as fallbacks (once each)
    std::uint64_t next_id_ = 1;
    TimePoint blocked_until_{};
    TimePoint calm_until_{};  // DecadeConfig::cross_server_calm
    std::optional<CachedToken> range_token_;
    DecadeStats stats_;
};

}  // namespace p2pls::peer
