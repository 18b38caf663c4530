#include "peer/core/tracker_reply.hpp"

namespace p2pls::peer {

TrackerView read_tracker_reply(const tracker_api::AnnounceResponse& reply, bool we_are_origin) {
    TrackerView view;
    view.candidates.reserve(static_cast<std::size_t>(reply.peers_size()) + 1);
    for (const auto& p : reply.peers()) {
        view.candidates.push_back({PeerId{p.peer_id()}, p.endpoint(), false, p.decade_server()});
    }
    // The origin is the source: listing itself as a neighbour would make it dial itself.
    if (!reply.source().endpoint().empty() && !we_are_origin) {
        view.candidates.push_back(
            {PeerId{reply.source().peer_id()}, reply.source().endpoint(), true});
    }
    // The tracker says 0 until the source has reported an edge: that is "unknown", not seq 0.
    if (reply.channel().live_edge() > 0) {
        view.live_edge = ChunkSeq{reply.channel().live_edge()};
    }
    return view;
}

}  // namespace p2pls::peer
