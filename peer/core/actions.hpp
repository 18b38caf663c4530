// What the engine asks its driver to do, as values (STYLE.md, "The one big idea"). The
// driver (peer/net over TCP, netsim in simulation) performs them in order.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "p2pls/decade.pb.h"
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

// DECADE mode (peer/core/decade_fetcher.hpp): one request to the home server
// (EngineConfig::decade.server) on one of its m connection slots. One op is a plain
// Remote Get, several a batch (POST /v1/batch of remote_get ops). Each op fetches a
// neighbour's object (remote_* and its range token) into our own locker; the reply's
// bytes come back to us. Answer with PeerEngine::on_decade_fetched(id, ...).
struct DecadeFetch {
    std::uint64_t id = 0;
    std::vector<decade_api::RemoteGetOp> ops;
    bool urgent = false;
};

// DECADE mode, origin: put one object into our own locker on the home server.
// Answer with PeerEngine::on_decade_put(id, ...).
struct DecadePut {
    std::uint64_t id = 0;
    std::string name;
    std::shared_ptr<const std::string> data;
    std::uint32_t ttl_s = 0;
    std::string token;  // a put token for our own locker
};

using Action = std::variant<SendMessage, SendChunk, Connect, Disconnect, PlayChunk, WantPeers,
                            DecadeFetch, DecadePut>;

// Outcome of one DecadeFetch / DecadePut, as the driver saw it.
struct DecadeObjectResult {
    Errc code = Errc::ok;  // ok, not_found, a token error, ...
    std::string data;      // the object, when ok (fetches only)
    // Optional: `data` already decoded by a driver that shares the decode between the
    // engines of one process (the simulator, where thousands fetch the same object), so
    // that they hold one copy of each chunk. Checked exactly as chunks decoded here are.
    std::vector<std::shared_ptr<const wire::Chunk>> chunks;
};
struct DecadeResult {
    Errc code = Errc::ok;     // the request as a whole: ok, busy (503), unavailable, timeout
    Duration retry_after{0};  // when busy
    std::vector<DecadeObjectResult> objects;  // one per op, in order, when code == ok
    std::uint64_t control_bytes = 0;          // request + reply bytes that were not object data
};

}  // namespace p2pls::peer
