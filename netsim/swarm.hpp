// A simulated swarm: real PeerEngines (peer/core) on the simulated network, a simulated
// source (an engine in origin mode fed synthetic signed chunks at the stream bitrate)
// and a simulated tracker (random samples of the live members). Every engine action is
// routed here: messages over the Network, connects after a round trip, timers on the
// virtual clock. Misbehaving peers for tests: silent (advertises, never serves) and
// polluting (serves chunks with a corrupted payload).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/chunk_signature.hpp"
#include "netsim/network.hpp"
#include "netsim/simulator.hpp"
#include "peer/core/peer_engine.hpp"

namespace p2pls::netsim {

struct SwarmConfig {
    std::string channel = "sim";
    std::uint64_t bitrate_bps = 500'000;
    Duration chunk_duration = std::chrono::seconds(1);
    std::size_t tracker_sample = 20;                         // peers per tracker reply
    Duration tracker_delay = std::chrono::milliseconds(40);  // one-way, tracker <-> peer
    KeySeed key_seed{};  // the channel's signing key comes from it
};

enum class Behavior {
    honest,
    silent,     // advertises what it holds, never sends a chunk or a Busy
    polluting,  // sends chunks whose payload was altered (they fail verification)
};

using Handle = std::size_t;

class Swarm {
  public:
    Swarm(Simulator& sim, Network& net, SwarmConfig config);

    // An engine config with this swarm's channel, key and chunk duration filled in.
    [[nodiscard]] peer::EngineConfig base_config() const;

    // Starts the source now: publishes one chunk per chunk duration from now on.
    Handle add_source(peer::EngineConfig config, NodeLinks links);
    // A peer starts joining now (asks the tracker, then connects).
    Handle add_peer(peer::EngineConfig config, NodeLinks links,
                    Behavior behavior = Behavior::honest);
    // The peer leaves: with Bye (graceful) or by vanishing (its links go dead).
    void remove(Handle h, bool graceful);

    [[nodiscard]] bool alive(Handle h) const { return nodes_.at(h).alive; }
    [[nodiscard]] peer::PeerEngine& engine(Handle h) { return *nodes_.at(h).engine; }
    [[nodiscard]] const peer::PeerEngine& engine(Handle h) const { return *nodes_.at(h).engine; }
    [[nodiscard]] Behavior behavior(Handle h) const { return nodes_.at(h).behavior; }
    [[nodiscard]] std::vector<Handle> peers() const;  // every peer ever added (not the source)
    [[nodiscard]] std::optional<Handle> source() const { return source_; }
    [[nodiscard]] const std::string& endpoint(Handle h) const { return nodes_.at(h).endpoint; }
    [[nodiscard]] std::uint64_t chunk_bytes() const;
    // Chunks played by the peer (PlayChunk actions), and those among them that fail
    // verification (must stay 0: the engine never plays a bad chunk).
    [[nodiscard]] std::uint64_t played(Handle h) const { return nodes_.at(h).played; }
    [[nodiscard]] std::uint64_t played_bad(Handle h) const { return nodes_.at(h).played_bad; }

    // Observer of every Disconnect an engine decides (tests log or count reasons).
    std::function<void(Handle, const peer::Disconnect&)> on_disconnect;

    // DECADE mode: DecadeFetch / DecadePut actions go to this handler
    // (netsim/sim_decade.hpp); without one they are dropped (the engine times them out).
    std::function<void(Handle, peer::Action&)> on_decade_action;
    // Runs `fn` on a live node's engine now, then performs the actions it produced.
    void deliver(Handle h, const std::function<void(peer::PeerEngine&)>& fn);
    [[nodiscard]] NodeId net_node(Handle h) const { return nodes_.at(h).net; }

  private:
    struct Node {
        std::unique_ptr<peer::PeerEngine> engine;
        NodeId net = 0;
        std::string endpoint;
        Behavior behavior = Behavior::honest;
        bool alive = true;
        bool is_source = false;
        std::uint32_t next_neighbor = 1;
        std::map<NeighborId, std::uint64_t> conns;  // neighbour -> connection id
        std::uint64_t timer_generation = 0;
        std::optional<TimePoint> timer_at;
        std::uint64_t played = 0;
        std::uint64_t played_bad = 0;
    };
    struct Conn {
        Handle a, b;  // a opened it
        NeighborId a_id, b_id;
        bool a_open = true, b_open = true;
    };

    Handle add_node(peer::EngineConfig config, NodeLinks links, Behavior behavior, bool source);
    void pump(Handle h);
    void arm_timer(Handle h);
    void route(Handle h, peer::Action& action);
    void send(Handle from, NeighborId to, std::uint64_t bytes,
              std::function<void(peer::PeerEngine&, NeighborId)> deliver);
    void close(Handle by, NeighborId id);
    void connect(Handle from, const std::string& endpoint);
    void tracker_reply(Handle h);
    void publish_next();

    Simulator& sim_;
    Network& net_;
    SwarmConfig config_;
    KeyPair key_;
    std::vector<Node> nodes_;
    std::map<std::string, Handle> by_endpoint_;
    // By connection id, which is the index: every message looks its connection up, so a
    // closed one leaves an empty slot rather than a hash or tree walk for the rest.
    std::vector<std::optional<Conn>> conns_;
    Conn* conn(std::uint64_t cid) {
        return cid < conns_.size() && conns_[cid] ? &*conns_[cid] : nullptr;
    }
    // One signature check per chunk for the whole swarm (common/core/verified_chunks.hpp).
    std::shared_ptr<VerifiedChunks> verified_chunks_ = std::make_shared<VerifiedChunks>();
    std::optional<Handle> source_;
    std::uint64_t next_seq_ = 1;
};

}  // namespace p2pls::netsim
