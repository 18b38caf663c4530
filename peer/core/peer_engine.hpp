// The peer, sans IO (DESIGN.md §4; STYLE.md, "The one big idea"). Events come in with the
// current time; effects go out as values from take_actions(); next_timer() says when
// on_timer() must run next. No socket, thread, clock or global randomness in here: the
// Asio driver (peer/net/peer_node.hpp) and the simulator (netsim/) both drive it.
//
// Two modes:
//  - viewer peer (default): joins at live_edge - startup_lag, fetches chunks from
//    neighbours with the pull scheduler, plays them on the playback clock, and serves
//    what it holds under its upload budget;
//  - origin (EngineConfig::origin): the channel's source. Chunks come in through
//    publish_local_chunk(); it serves them under its budget (Busy beyond), advertises
//    buffer maps, never fetches or plays.
//
// Bad input from a neighbour (see on_message) disconnects that neighbour with a reason
// and the engine carries on. State is bounded: neighbours, candidates, requests, window.
//
// DECADE mode (EngineConfig::decade.enabled; issue 7; code in peer/core/decade_mode.cpp):
// the engine keeps what it has in its own locker on its home DECADE server, advertises
// buffer maps that show only what its locker holds plus a range token for it, fetches
// from neighbours' lockers by Remote Get through the home server (DecadeFetch actions,
// urgent objects alone, the rest batched, at most m requests at a time), verifies every
// chunk it gets, and answers native Requests with Busy (it never uploads media). When the
// home server fails or is too slow for a deadline, it fetches the chunk natively from a
// native neighbour or the source (a fallback). In origin mode it puts each object of k
// chunks into its locker (DecadePut) and advertises it once stored.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/token_bucket.hpp"
#include "p2pls/report.pb.h"
#include "peer/core/actions.hpp"
#include "peer/core/chunk_store.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/neighbor_table.hpp"
#include "peer/core/playback.hpp"
#include "peer/core/source_spread.hpp"
#include "peer/core/traffic.hpp"

namespace p2pls::peer {

class PeerEngine {
  public:
    // `now` is when the peer started joining: startup delay is measured from it.
    PeerEngine(EngineConfig config, std::uint64_t seed, TimePoint now);

    // --- membership (tracker replies) ---
    // Peers to connect to (the source among them, is_source set), and the channel's live
    // edge as the tracker knows it (trusted: it anchors the live-edge estimate).
    void on_peer_list(const std::vector<PeerCandidate>& peers, std::optional<ChunkSeq> live_edge,
                      TimePoint now);

    // --- connections ---
    // A connection is up (outbound: one the engine asked for with Connect). The engine
    // sends Hello; when it is full it sends Bye and a Disconnect instead.
    void on_neighbor_connected(NeighborId id, const std::string& endpoint, bool outbound,
                               TimePoint now);
    // An outbound connection could not be made.
    void on_connect_failed(const std::string& endpoint, TimePoint now);
    // A message arrived from a neighbour.
    void on_message(NeighborId id, const wire::PeerMessage& message, TimePoint now);
    // The connection ended (the remote closed, a socket error, framing lost).
    void on_neighbor_lost(NeighborId id, Errc reason, TimePoint now);

    // --- time ---
    void on_timer(TimePoint now);
    [[nodiscard]] TimePoint next_timer() const;

    // --- origin mode ---
    // Publishes a chunk this node produced. Fails with signature_invalid when it does not
    // verify under the channel key, message_unexpected when not in origin mode.
    Result<void> publish_local_chunk(wire::Chunk chunk, TimePoint now);

    // --- DECADE mode ---
    // The answer to a DecadeFetch / DecadePut action (ids the engine does not know, e.g.
    // answers after a timeout, are ignored).
    void on_decade_fetched(std::uint64_t id, DecadeResult result, TimePoint now);
    void on_decade_put(std::uint64_t id, DecadeResult result, TimePoint now);
    // A get-token for our locker over object seqs [first, last], expiring token_lifetime
    // from now (what our buffer maps carry). Empty when not in DECADE mode.
    [[nodiscard]] std::string mint_range_token(ChunkSeq first, ChunkSeq last, TimePoint now) const;
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
    [[nodiscard]] const DecadeStats& decade_stats() const noexcept { return decade_stats_; }
    // Seqs our locker holds (DECADE mode).
    [[nodiscard]] const std::set<ChunkSeq>& locker_seqs() const noexcept { return locker_; }

    // Leaves: Bye to every neighbour and a Disconnect for each. Later events are ignored.
    void stop(TimePoint now);

    // Effects since the last call, oldest first.
    std::vector<Action> take_actions();

    // --- observation ---
    [[nodiscard]] report::QoeReport report(TimePoint now, bool final = false) const;
    [[nodiscard]] const NeighborTable& neighbors() const noexcept { return table_; }
    [[nodiscard]] const ChunkStore& store() const noexcept { return store_; }
    [[nodiscard]] const Playback& playback() const noexcept { return playback_; }
    [[nodiscard]] const Traffic& traffic() const noexcept { return traffic_; }
    [[nodiscard]] std::optional<ChunkSeq> live_edge() const noexcept { return live_edge_; }
    [[nodiscard]] const EngineConfig& config() const noexcept { return config_; }
    [[nodiscard]] bool stopped() const noexcept { return stopped_; }

  private:
    void on_hello(Neighbor& n, const wire::Hello& hello, TimePoint now);
    void on_buffer_map(Neighbor& n, const wire::BufferMap& bm, TimePoint now);
    void on_have(Neighbor& n, const wire::Have& have, TimePoint now);
    void on_request(Neighbor& n, const wire::Request& request, TimePoint now);
    void on_chunk(Neighbor& n, const wire::Chunk& chunk, TimePoint now);
    void on_busy(Neighbor& n, const wire::Busy& busy, TimePoint now);

    // Disconnects a neighbour for bad input or by policy; sends Bye first.
    void drop(NeighborId id, Errc reason, const std::string& detail);
    void send(NeighborId to, wire::PeerMessage message);
    void send_hello(NeighborId to);
    void send_buffer_map(NeighborId to);
    void announce_have(ChunkSeq seq, std::optional<NeighborId> except);

    // DECADE mode (decade_mode.cpp).
    [[nodiscard]] bool decade() const noexcept { return config_.decade.enabled; }
    [[nodiscard]] UnixSeconds unix_now(TimePoint now) const;
    [[nodiscard]] ChunkSeq object_of(ChunkSeq seq) const;
    [[nodiscard]] Duration buffer_map_interval() const;
    void decade_on_range_token(Neighbor& n, const wire::RangeToken& token);
    void decade_fill_buffer_map(wire::BufferMap& bm, TimePoint now);
    void decade_schedule(TimePoint now);
    void decade_fail_fetch(std::uint64_t id, Errc code, Duration retry_after, TimePoint now);
    void decade_origin_chunk(ChunkSeq seq, TimePoint now);
    void decade_maintain(TimePoint now);
    void decade_stored(const std::vector<ChunkSeq>& seqs, TimePoint now);
    [[nodiscard]] bool decade_blocked(TimePoint now) const;

    void observe_live_edge(ChunkSeq seq, bool trusted, TimePoint now);
    void maybe_join();
    void advance_playback(TimePoint now);
    void maintain(TimePoint now);
    void refill(TimePoint now);
    void run_scheduler(TimePoint now);
    // Whether a request for `seq` goes out marked due_soon (EngineConfig::due_soon).
    [[nodiscard]] bool due_soon(ChunkSeq seq, TimePoint now) const;
    // Whether `seq` is near the playhead `n` advertised (its due_soon claim is believed).
    [[nodiscard]] bool near_playhead(const Neighbor& n, ChunkSeq seq) const;
    // Whether our upload budget serves `bytes` for this request now (spread, reserve).
    [[nodiscard]] bool admit_upload(ChunkSeq seq, std::uint64_t bytes, bool due_soon,
                                    TimePoint now);
    [[nodiscard]] std::optional<ChunkSeq> expected_live_edge(TimePoint now) const;

    EngineConfig config_;
    std::mt19937_64 rng_;
    TimePoint started_at_;
    bool stopped_ = false;

    NeighborTable table_;
    ChunkStore store_;
    Playback playback_;
    Traffic traffic_;
    TokenBucket upload_;

    std::optional<ChunkSeq> live_edge_;
    std::optional<std::pair<ChunkSeq, TimePoint>> live_anchor_;  // trusted (seq, when seen)
    std::optional<PeerCandidate> source_;
    TimePoint source_retry_at_{};
    std::map<std::string, TimePoint> pending_connects_;  // endpoint -> asked at

    std::uint64_t chunk_bytes_estimate_ = 64 * 1024;
    // Origin mode: the size of the chunks we publish (for the first-fetcher count). Kept
    // apart from chunk_bytes_estimate_, which paces Busy retries: DECADE k = 4 swarms in
    // the simulator flip from 0 % to 48 % missed when those retries shorten by 2 %.
    std::uint64_t published_chunk_bytes_ = 64 * 1024;
    std::uint64_t peer_hash_ = 0;               // of our peer id: our first-fetch tiers
    std::uint32_t source_first_fetch_ppm_ = 0;  // the source's latest BufferMap says
    std::optional<ChunkSeq> first_fetch_out_;   // our first fetch, while the source has it
    std::optional<SourceSpread> spread_;        // origin mode with an upload budget
    TimePoint next_tick_{};
    TimePoint next_buffer_map_{};
    TimePoint next_maintenance_{};
    TimePoint next_want_peers_{};

    // DECADE mode state.
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
    std::map<std::uint64_t, FetchState> fetches_;
    std::map<ChunkSeq, std::uint64_t> objects_in_flight_;  // object -> fetch id
    std::map<std::uint64_t, PutState> puts_;
    std::set<ChunkSeq> locker_;         // seqs our locker holds
    std::set<ChunkSeq> fallback_seqs_;  // seqs counted as fallbacks (once each)
    std::uint64_t next_decade_id_ = 1;
    TimePoint decade_blocked_until_{};
    TimePoint cross_server_calm_until_{};  // EngineConfig::decade.cross_server_calm
    TimePoint last_now_{};  // time of the latest event (for tokens minted in send_buffer_map)
    struct CachedToken {
        wire::RangeToken token;
        ChunkSeq first;
        TimePoint minted{};
    };
    std::optional<CachedToken> range_token_;
    DecadeStats decade_stats_;

    std::vector<Action> actions_;
};

}  // namespace p2pls::peer
