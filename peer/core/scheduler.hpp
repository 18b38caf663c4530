// The pull scheduler (DESIGN.md §4, "Scheduling"): a pure function from what is missing
// and who holds it to which requests to send. No state of its own, so that a test can
// state a whole situation in a few strings.
//
// Order: urgent chunks (due within the urgent window) first, oldest first; then the rest
// rarest first (fewest holders), oldest first among equals. Holder: among the neighbours
// (not the source) that hold the chunk and have a free request slot, the one that would
// finish it soonest given its measured rate and the bytes already asked of it. The
// source is asked only for an urgent chunk that no neighbour holds (or, in the last third
// of the urgent window, whose holders are all saturated or late). A new chunk that no
// neighbour holds goes to the source also when we are among its first fetchers and the
// first-fetch slot is free.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/core/chunk_bitmap.hpp"
#include "common/core/time.hpp"

namespace p2pls::peer {

struct HolderView {
    NeighborId id;
    const ChunkBitmap* map = nullptr;  // its advertised window (never null when listed)
    bool is_source = false;
    std::uint32_t free_slots = 0;    // requests it may still be given now
    double rate_bytes_per_s = 0;     // measured; > 0
    std::uint64_t queued_bytes = 0;  // bytes asked of it and not yet received
    // Seqs already asked of it and still possibly coming (late ones): never asked twice.
    const std::map<ChunkSeq, TimePoint>* outstanding = nullptr;
};

struct ChunkNeed {
    ChunkSeq seq;
    Duration time_left{0};                // until its playback deadline (may be negative)
    std::optional<NeighborId> late_from;  // a late request is out to this holder: ask another
    // Not urgent, but we are among its first fetchers (peer/core/first_fetch.hpp): the
    // source may be asked if no neighbour holds it.
    bool first_fetch = false;
};

struct SchedulerInput {
    std::vector<ChunkNeed> needs;  // chunks to fetch, any order
    std::vector<HolderView> holders;
    Duration urgent_window{0};
    std::uint64_t chunk_bytes = 1;  // expected size of one chunk
    // Requests to give out this time at most (the requester's total in flight is capped,
    // so that a newcomer's far-ahead backlog does not crowd out others' urgent chunks).
    std::size_t max_assignments = static_cast<std::size_t>(-1);
    // A first fetch from the source may go now (none is out). First fetches are their own
    // class: one at a time, outside max_assignments and the source's slots and Busy
    // back-off, which urgent requests fill when the swarm is behind.
    bool first_fetch_slot = false;
};

struct Assignment {
    NeighborId to;
    ChunkSeq seq;
    bool first_fetch = false;  // it took the first-fetch slot
    friend bool operator==(const Assignment&, const Assignment&) = default;
};

// Assignments in the order they were decided (most important first).
std::vector<Assignment> schedule(const SchedulerInput& input);

}  // namespace p2pls::peer
