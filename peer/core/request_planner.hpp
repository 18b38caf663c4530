// Which chunks to ask whom for, each scheduler tick (DESIGN.md §4, "Scheduling"). The
// choice itself is the pure function schedule() (peer/core/scheduler.hpp); this is the
// bookkeeping around it, in the order the engine runs the steps:
//
//  1. move_start_point: before startup, move up to the oldest chunk the source still has,
//     or that a neighbour holds when none holds the start point, or give up a start
//     point left twice the startup lag behind;
//  2. expire_late: requests past request_timeout (a third of it when the deadline is
//     close) free their slot and are remembered as abandoned; a neighbour late max_late
//     times in a row is too slow;
//  3. input: what is missing (a DECADE peer: only what must come natively) and who holds
//     it with how many free slots, for schedule();
//  4. requests: the Request messages for schedule()'s assignments, one per neighbour and
//     due_soon marking, with the in-flight bookkeeping.
//
// State of its own: the first fetch we have out and the source's first-fetch share.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/core/time.hpp"
#include "p2pls/peer.pb.h"
#include "peer/core/chunk_store.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/live_edge.hpp"
#include "peer/core/neighbor_table.hpp"
#include "peer/core/playback.hpp"
#include "peer/core/scheduler.hpp"

namespace p2pls::peer {

struct LateRequests {
    std::map<ChunkSeq, NeighborId> late;  // seq -> the holder it was late from
    std::vector<NeighborId> too_slow;     // late max_late times in a row (never the source)
};

// What DECADE mode tells the native planner (DecadeFetcher).
struct StorageState {
    bool blocked = false;        // storage is failing: native fetches stand in
    std::set<ChunkSeq> awaited;  // chunks a storage request in flight brings in time
};

class RequestPlanner {
  public:
    // `started_at`: when the peer started joining (startup patience counts from it).
    RequestPlanner(const EngineConfig& config, TimePoint started_at);

    // The source's latest buffer map named this first-fetch share (BufferMap.first_fetch_ppm).
    void on_source_first_fetch_ppm(std::uint32_t ppm);

    // Step 1 (before startup only).
    void move_start_point(const NeighborTable& table, Playback& playback, ChunkStore& store,
                          ChunkSeq live_edge) const;

    // Step 2. Halves a late holder's measured rate (it looks slower to schedule() at once).
    [[nodiscard]] LateRequests expire_late(NeighborTable& table, const Playback& playback,
                                           TimePoint now) const;

    // Step 3. Needs from the playhead to the live edge that are neither held nor in
    // flight; in DECADE mode only those due within fallback_margin that storage is not
    // bringing in time, or within the urgent window while storage is blocked. Marks
    // holders of a need useful.
    [[nodiscard]] SchedulerInput input(NeighborTable& table, const ChunkStore& store,
                                       const Playback& playback, const LiveEdge& live_edge,
                                       const LateRequests& late, std::uint64_t chunk_bytes,
                                       const StorageState& storage, TimePoint now) const;

    // Step 4: (neighbour, Request) in the order they go out.
    [[nodiscard]] std::vector<std::pair<NeighborId, wire::PeerMessage>> requests(
        const std::vector<Assignment>& assignments, NeighborTable& table, const Playback& playback,
        TimePoint now);

    // Whether a request for `seq` goes out marked due_soon (EngineConfig::due_soon).
    [[nodiscard]] bool due_soon(ChunkSeq seq, const Playback& playback, TimePoint now) const;

    [[nodiscard]] std::optional<ChunkSeq> first_fetch_out() const noexcept {
        return first_fetch_out_;
    }

  private:
    EngineConfig config_;
    TimePoint started_at_;
    std::uint64_t peer_hash_;                   // of our peer id: our first-fetch tiers
    std::uint32_t source_first_fetch_ppm_ = 0;  // the source's latest BufferMap says
    std::optional<ChunkSeq> first_fetch_out_;   // our first fetch, while the source has it
};

}  // namespace p2pls::peer
