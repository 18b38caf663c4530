// Keeping M neighbours (DESIGN.md §4, "Membership"): the tracker's peer lists, the
// connections we asked for and not yet got, the source and when to try it again, and
// which neighbours to let go (silent, no Hello in time, useless).
//
// It decides; the engine acts. Connects and WantPeers come back as actions; neighbours
// to drop come back as a list, already penalised (kept away for EngineConfig::penalty),
// for the engine to say Bye to. The neighbour table is the engine's, passed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/core/time.hpp"
#include "peer/core/actions.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/neighbor_table.hpp"

namespace p2pls::peer {

class Membership {
  public:
    // Reads origin, peer_id, target_neighbors, the membership timeouts and request_timeout
    // (how long abandoned requests are remembered) from `config`.
    explicit Membership(const EngineConfig& config);

    // A tracker reply: remembers the source (not in origin mode) and adds the others, in
    // an order drawn from `rng`, to the table's candidates.
    void on_peer_list(NeighborTable& table, const std::vector<PeerCandidate>& peers,
                      std::mt19937_64& rng);
    // An outbound connection came up, or could not be made.
    void on_connected(const std::string& endpoint);
    void on_connect_failed(const std::string& endpoint, TimePoint now);

    // The neighbours to drop now, with why: no Hello within connect_timeout, silent for
    // dead_after, or (once we have target_neighbors) no exchange either way for
    // useless_after. Established ones are penalised in `table`. Also forgets abandoned
    // requests below `window_base` or older than 8 request timeouts.
    [[nodiscard]] std::vector<std::pair<NeighborId, std::string>> to_drop(NeighborTable& table,
                                                                          ChunkSeq window_base,
                                                                          TimePoint now);
    // Forgets Connects with no outcome after connect_timeout.
    void forget_stale_connects(TimePoint now);

    // Connects while below target_neighbors (the source first, at most every three
    // maintenance intervals); a WantPeers, at most every want_peers_interval, when no
    // candidate is left. Nothing in origin mode. In DECADE mode, candidates on our home
    // server come first until they are kLocalShare of target_neighbors: what they hold
    // we link on that server, where a holder elsewhere costs a copy between servers, and
    // in a crowd those copies are what congests the servers' uplinks. The rest are
    // anyone, to bring what nobody on our server has yet.
    [[nodiscard]] std::vector<Action> refill(NeighborTable& table, TimePoint now);

    static constexpr double kLocalShare = 0.75;

    [[nodiscard]] std::size_t pending_connects() const noexcept { return pending_.size(); }
    [[nodiscard]] const std::optional<PeerCandidate>& source() const noexcept { return source_; }

  private:
    bool origin_;
    PeerId self_;
    std::size_t target_neighbors_;
    Duration connect_timeout_;
    Duration want_peers_interval_;
    Duration dead_after_;
    Duration useless_after_;
    Duration source_retry_;
    Duration penalty_;
    Duration abandoned_for_;

    std::optional<PeerCandidate> source_;
    TimePoint source_retry_at_{};
    std::string decade_server_;  // our home server in DECADE mode, else ""
    struct PendingConnect {
        TimePoint asked_at{};
        bool on_our_server = false;  // DECADE mode: the candidate is on our home server
    };
    std::map<std::string, PendingConnect> pending_;  // by endpoint
    TimePoint next_want_peers_{};
};

}  // namespace p2pls::peer
