// The neighbours of one peer (DESIGN.md §4, "Membership"): per-connection state, the
// tracker's candidates not yet tried, and the peers banned for good (bad chunks).
// Bounded: at most max_neighbors entries, max_candidates candidates, kMaxBanned bans.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/core/chunk_bitmap.hpp"
#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::peer {

struct Neighbor {
    NeighborId id;
    bool outbound = false;
    std::string endpoint;  // where it listens (from Connect, or its Hello)
    TimePoint connected_at{};
    TimePoint last_heard{};

    std::string remote_host;  // inbound: the address its packets come from ("" if unknown)
    std::string hello_nonce;  // the nonce our Hello sent it (the source must sign it)

    // From its Hello.
    bool established = false;
    PeerId peer_id;
    bool claims_source = false;  // said is_source, on a connection that could be the source's
    bool is_source = false;      // ... and proved the channel key (SourceProof)
    bool decade = false;         // DECADE mode: serves from its locker, answers Requests with Busy
    std::string decade_server;   // ... its home server, as its Hello says (a claim)

    // DECADE mode: its latest range token (draft §4.2.2) and the seqs and expiry it names.
    std::optional<wire::RangeToken> range_token;
    std::uint64_t token_first = 0, token_last = 0;
    std::int64_t token_expiry_s = 0;   // unix seconds
    std::uint64_t our_token_sent = 0;  // the generation of our range token it has (0: none)

    // Its window, from its last buffer map plus Have deltas since.
    std::optional<ChunkBitmap> map;
    ChunkSeq live_edge;
    std::optional<ChunkSeq> playhead;  // from its last buffer map, if it sent one
    TimePoint last_useful{};           // last time it held something we lacked, or sent us a chunk
    TimePoint last_requested{};        // last time it asked us for chunks

    // Requests: in flight (counted against max_in_flight) and abandoned (late, asked of
    // someone else too, still welcome if they arrive). A chunk not in either is unsolicited.
    std::map<ChunkSeq, TimePoint> in_flight;
    std::map<ChunkSeq, TimePoint> abandoned;
    std::uint32_t late_in_a_row = 0;
    TimePoint busy_until{};
    double rate_bytes_per_s = 0;  // EWMA of chunk bytes / request-to-arrival time

    [[nodiscard]] bool solicited(ChunkSeq seq) const {
        return in_flight.contains(seq) || abandoned.contains(seq);
    }
    // The request for `seq` is answered: forgets it, and says when it was made.
    std::optional<TimePoint> take_request(ChunkSeq seq);
    // A chunk of `bytes` came from it, asked at `asked_at`: the rate follows (EWMA), and
    // it is useful and on time again.
    void note_delivery(std::uint64_t bytes, std::optional<TimePoint> asked_at, TimePoint now);
    // It answered Busy for `seqs` (already bounded): they are no longer asked of it, and
    // it is left alone for `retry_after`.
    void note_busy(const google::protobuf::RepeatedField<std::uint64_t>& seqs, Duration retry_after,
                   TimePoint now);
};

struct PeerCandidate {
    PeerId peer_id;
    std::string endpoint;
    bool is_source = false;
    // Its home DECADE server as the tracker heard it ("" when unknown or native). Only a
    // preference when choosing whom to dial: what a neighbour serves from is read from
    // its range tokens.
    std::string decade_server = {};
};

class NeighborTable {
  public:
    static constexpr std::size_t kMaxBanned = 4096;

    NeighborTable(std::size_t max_neighbors, std::size_t max_candidates);

    // Adds a connection; false when full or the id is taken.
    bool add(Neighbor n);
    void remove(NeighborId id);
    [[nodiscard]] Neighbor* find(NeighborId id);
    [[nodiscard]] const Neighbor* find(NeighborId id) const;
    [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }
    [[nodiscard]] bool full() const noexcept { return by_id_.size() >= max_neighbors_; }
    [[nodiscard]] bool connected_to_peer(const PeerId& id) const {
        return find_peer(id) != nullptr;
    }
    [[nodiscard]] const Neighbor* find_peer(const PeerId& id) const;
    [[nodiscard]] bool connected_to_endpoint(const std::string& endpoint) const;
    [[nodiscard]] std::map<NeighborId, Neighbor>& all() noexcept { return by_id_; }
    [[nodiscard]] const std::map<NeighborId, Neighbor>& all() const noexcept { return by_id_; }
    [[nodiscard]] std::size_t established() const;
    // We got `seq`: requests for it elsewhere are no longer needed (moved to abandoned:
    // their answers stay welcome).
    void abandon_requests(ChunkSeq seq);

    // Bans for good, on the evidence: a bad chunk (or a forged proof) came on `n`'s
    // connection, and a ban names only what the connection proves. One we dialed bans
    // the endpoint we chose (nobody else can be named by it); an inbound one bans the
    // address its packets came from, as the socket saw it, for inbound connections. Never
    // a declared id or endpoint: a polluter would declare an honest peer's.
    void ban_connection(const Neighbor& n);
    void ban_endpoint(const std::string& endpoint);  // never dialed or accepted again
    void ban_host(const std::string& host);          // inbound connections from it refused
    [[nodiscard]] bool banned_endpoint(const std::string& endpoint) const;
    [[nodiscard]] bool banned_host(const std::string& host) const;

    // Keeps a peer away until `until` (dropped as too slow or useless): it is neither
    // accepted nor connected to before then. Bounded like the ban list.
    void penalize(const PeerId& id, const std::string& endpoint, TimePoint until);
    [[nodiscard]] bool penalized(const PeerId& id, const std::string& endpoint,
                                 TimePoint now) const;

    // Remembers tracker-listed peers (deduplicated, bounded; the oldest are forgotten).
    void add_candidates(const std::vector<PeerCandidate>& list, const PeerId& self);
    // The next candidate worth connecting to (not connected, not banned, not pending):
    // the first in turn that `prefer` accepts, else the first in turn.
    std::optional<PeerCandidate> next_candidate(
        const std::set<std::string>& pending, TimePoint now = TimePoint::min(),
        const std::function<bool(const PeerCandidate&)>& prefer = {});
    [[nodiscard]] std::size_t candidates() const noexcept { return candidates_.size(); }

  private:
    std::size_t max_neighbors_;
    std::size_t max_candidates_;
    std::map<NeighborId, Neighbor> by_id_;
    std::deque<PeerCandidate> candidates_;
    std::set<std::string> banned_endpoints_;
    std::set<std::string> banned_hosts_;
    std::map<std::string, TimePoint> penalty_;  // peer id or endpoint -> kept away until
};

}  // namespace p2pls::peer
