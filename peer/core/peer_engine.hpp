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
// DECADE mode (EngineConfig::decade.enabled): the engine keeps what it has in its own
// locker on its home DECADE server, advertises buffer maps that show only what its locker
// holds plus a range token for it, fetches from neighbours' lockers by Remote Get through
// the home server (DecadeFetch actions), verifies every chunk it gets, and answers native
// Requests with Busy (it never uploads media). When the home server fails or is too slow
// for a deadline, it fetches the chunk natively from a native neighbour or the source (a
// fallback). In origin mode it puts each object of k chunks into its locker (DecadePut)
// and advertises it once stored. All of that lives in peer/core/decade_fetcher.hpp.
//
// The rooms: membership.hpp (who we connect to and drop), upload_policy.hpp (who gets our
// upload), live_edge.hpp (where the stream is), request_planner.hpp with scheduler.hpp
// (what to ask whom), decade_fetcher.hpp (storage), qoe_report.hpp (the report). This
// class routes events to them and turns their decisions into actions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/core/errc.hpp"
#include "p2pls/report.pb.h"
#include "peer/core/actions.hpp"
#include "peer/core/chunk_store.hpp"
#include "peer/core/chunk_trace.hpp"
#include "peer/core/decade_fetcher.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/live_edge.hpp"
#include "peer/core/membership.hpp"
#include "peer/core/neighbor_table.hpp"
#include "peer/core/playback.hpp"
#include "peer/core/request_planner.hpp"
#include "peer/core/traffic.hpp"
#include "peer/core/upload_policy.hpp"

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
    // A connection is up. Outbound (one the engine asked for with Connect): `endpoint` is
    // the one dialed. Inbound: the remote address as the socket sees it ("host:port", ""
    // when unknown), which bans name (NeighborTable::ban_connection). The engine sends
    // Hello; when it is full, or the address is banned, it closes the connection instead.
    void on_neighbor_connected(NeighborId id, const std::string& endpoint, bool outbound,
                               TimePoint now);
    // An outbound connection could not be made.
    void on_connect_failed(const std::string& endpoint, TimePoint now);
    // A message arrived from a neighbour.
    void on_message(NeighborId id, const wire::PeerMessage& message, TimePoint now);
    // A Chunk message whose chunk the caller holds shared (the simulator passes the
    // sender's; the socket reader moves the parsed one in): as on_message, and the store
    // keeps that very object instead of a copy of its payload.
    void on_chunk_message(NeighborId id, std::shared_ptr<const wire::Chunk> chunk, TimePoint now);
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
    [[nodiscard]] const DecadeStats& decade_stats() const noexcept { return decade_.stats(); }
    // Seqs our locker holds (DECADE mode).
    [[nodiscard]] const std::set<ChunkSeq>& locker_seqs() const noexcept {
        return decade_.locker();
    }

    // Leaves: Bye to every neighbour and a Disconnect for each. Later events are ignored.
    void stop(TimePoint now);

    // Effects since the last call, oldest first.
    std::vector<Action> take_actions();
    // With config.trace: the traces of the chunks startup waited for, played late or
    // missed since the last call (peer/core/chunk_trace.hpp).
    std::vector<report::ChunkTrace> take_traces();

    // --- observation ---
    [[nodiscard]] report::QoeReport report(TimePoint now, bool final = false) const;
    [[nodiscard]] const NeighborTable& neighbors() const noexcept { return table_; }
    [[nodiscard]] const ChunkStore& store() const noexcept { return store_; }
    [[nodiscard]] const Playback& playback() const noexcept { return playback_; }
    [[nodiscard]] const Traffic& traffic() const noexcept { return traffic_; }
    [[nodiscard]] std::optional<ChunkSeq> live_edge() const noexcept { return live_edge_.value(); }
    [[nodiscard]] const EngineConfig& config() const noexcept { return config_; }
    [[nodiscard]] bool stopped() const noexcept { return stopped_; }

  private:
    void on_hello(Neighbor& n, const wire::Hello& hello, TimePoint now);
    void on_buffer_map(Neighbor& n, const wire::BufferMap& bm, TimePoint now);
    void on_have(Neighbor& n, const wire::Have& have, TimePoint now);
    void on_request(Neighbor& n, const wire::Request& request, TimePoint now);
    // `shared`, when given, is `chunk` itself, kept by the store as it is.
    void on_chunk(Neighbor& n, const wire::Chunk& chunk, TimePoint now,
                  std::shared_ptr<const wire::Chunk> shared = nullptr);
    void on_busy(Neighbor& n, const wire::Busy& busy, TimePoint now);
    void on_source_proof(Neighbor& n, const wire::SourceProof& proof);

    // Disconnects a neighbour for bad input or by policy; sends Bye first.
    void drop(NeighborId id, Errc reason, const std::string& detail);
    void send(NeighborId to, wire::PeerMessage message);
    void send_buffer_map(NeighborId to, TimePoint now);
    void send_buffer_maps(TimePoint now);  // to every established neighbour
    // Tells every established neighbour (but `except`) the seqs its map does not show
    // yet: one Have per neighbour for what arrived together (a DECADE batch).
    void announce_have(std::span<const ChunkSeq> seqs, std::optional<NeighborId> except);
    void announce_have(ChunkSeq seq, std::optional<NeighborId> except) {
        announce_have(std::span<const ChunkSeq>(&seq, 1), except);
    }

    [[nodiscard]] bool decade() const noexcept { return config_.decade.enabled; }
    void trace_decade_fetch(const DecadeFetch& f, TimePoint now);
    // For a skipped chunk's trace: how many neighbours there were, how many showed it,
    // and in DECADE mode how many of those carried a token covering it, how many of those
    // are on our server, and whether storage was blocked or calmed.
    [[nodiscard]] std::string holders_detail(ChunkSeq seq, TimePoint now) const;
    void trace_decade_result(std::uint64_t id, const DecadeResult& result, TimePoint now);
    [[nodiscard]] bool have_window() const;
    void observe_live_edge(ChunkSeq seq, bool trusted, TimePoint now);
    void maybe_join(TimePoint now);
    void advance_playback(TimePoint now);
    void maintain(TimePoint now);
    void refill(TimePoint now);
    void run_scheduler(TimePoint now);

    const EngineConfig config_;
    std::mt19937_64 rng_;  // one stream: membership's shuffles and DECADE's holder picks
    TimePoint started_at_;
    bool stopped_ = false;
    std::uint64_t hellos_sent_ = 0;  // numbers our Hello nonces

    NeighborTable table_;
    ChunkStore store_;
    Playback playback_;
    std::optional<ChunkTrace> trace_;
    Traffic traffic_;
    LiveEdge live_edge_;
    Membership membership_;
    UploadPolicy upload_;
    RequestPlanner planner_;
    DecadeFetcher decade_;

    std::uint64_t chunk_bytes_estimate_ = 64 * 1024;
    // Origin mode: the size of the chunks we publish (for the first-fetcher count). Kept
    // apart from chunk_bytes_estimate_, which paces Busy retries: DECADE k = 4 swarms in
    // the simulator flip from 0 % to 48 % missed when those retries shorten by 2 %.
    std::uint64_t published_chunk_bytes_ = 64 * 1024;
    TimePoint next_tick_{};
    TimePoint next_buffer_map_{};
    TimePoint next_maintenance_{};

    std::vector<Action> actions_;
};

}  // namespace p2pls::peer
