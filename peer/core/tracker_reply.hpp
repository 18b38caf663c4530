// What a tracker announce reply means to the engine: the peers to consider and the
// channel's live edge. A pure function so the conversion is testable without a tracker.
#pragma once

#include <optional>
#include <vector>

#include "common/core/ids.hpp"
#include "p2pls/tracker.pb.h"
#include "peer/core/neighbor_table.hpp"

namespace p2pls::peer {

struct TrackerView {
    // The listed peers in reply order, then the source (flagged is_source) when the reply
    // names its endpoint and we are not the origin ourselves.
    std::vector<PeerCandidate> candidates;
    // The channel's live edge as the tracker last heard it; empty while it reports 0.
    std::optional<ChunkSeq> live_edge;
};

// Called on every announce reply once the engine exists. `we_are_origin` is true for the
// source role, which never dials itself.
[[nodiscard]] TrackerView read_tracker_reply(const tracker_api::AnnounceResponse& reply,
                                             bool we_are_origin);

}  // namespace p2pls::peer
