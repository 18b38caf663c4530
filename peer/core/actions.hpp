// What the engine asks its driver to do, as values (STYLE.md, "The one big idea"). The
// driver (peer/net over TCP, netsim in simulation) performs them in order.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "common/core/errc.hpp"
#include "common/core/ids.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::peer {

// Send a control message to a neighbour.
struct SendMessage {
    NeighborId to;
    wire::PeerMessage message;
};

// Send a stored chunk (shared so that a simulator or a fan-out does not copy payloads).
struct SendChunk {
    NeighborId to;
    std::shared_ptr<const wire::Chunk> chunk;
};

// Open a connection to a listed peer. The driver assigns a NeighborId and calls
// on_neighbor_connected(id, endpoint, outbound = true), or on_connect_failed(endpoint).
struct Connect {
    std::string endpoint;
    PeerId peer_id;  // as the tracker listed it (may be empty for bootstrap endpoints)
};

// Close a neighbour's connection after flushing what was queued for it (a Bye, usually).
// The engine has already forgotten it; on_neighbor_lost for it is ignored.
struct Disconnect {
    NeighborId who;
    Errc reason;         // why, in the shared vocabulary (ok = a normal leave)
    std::string detail;  // one line for the log
};

// Hand a verified chunk to playback (the player decodes it; a headless peer drops it).
struct PlayChunk {
    std::shared_ptr<const wire::Chunk> chunk;
};

// The engine is short of neighbours and has no unused candidates: ask the tracker for a
// fresh peer list and feed it back with on_peer_list().
struct WantPeers {};

using Action = std::variant<SendMessage, SendChunk, Connect, Disconnect, PlayChunk, WantPeers>;

}  // namespace p2pls::peer
