// Simulated DECADE servers for DECADE-mode swarms (DESIGN.md §3 "DECADE"). Each server
// is a node on the simulated network with its own links (its uplink rate is its egress
// cap) and runs the real decade-server core — ServerCore over a MemoryStore — in virtual
// time, so the simulation cannot drift from the server. What the simulator adds is the
// network around it:
//  - a request travels client -> server; beyond `slots_per_client` requests in service
//    for one client the server answers 503 with Retry-After (draft §4.2.1);
//  - the core answers the engines' DecadeFetch (Remote Get, one op or a batch) and
//    DecadePut actions: tokens, linking on the same server, quotas, TTLs, one stored blob
//    per content hash;
//  - a Remote Get from another server travels there (one-way delay between the two),
//    asks that server's core for the object, and its bytes then cross the remote uplink,
//    the path back and the local downlink before the local core stores them;
//  - the answer (object bytes + per-op overhead) travels server -> client.
// A server that is down refuses connections: requests fail after one round trip.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/core/errc.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/server_core.hpp"
#include "decade-server/store/memory_store.hpp"
#include "netsim/network.hpp"
#include "netsim/simulator.hpp"
#include "netsim/swarm.hpp"

namespace p2pls::netsim {

struct SimDecadeLocker {
    std::string id;
    std::array<unsigned char, 32> secret{};
};

struct SimDecadeStats {
    std::uint64_t requests = 0;       // HTTP requests received (plain or batch)
    std::uint64_t ops = 0;            // remote gets and puts in them
    std::uint64_t busy_refusals = 0;  // 503: the client's slots were full
    std::uint64_t token_refusals = 0;
    std::uint64_t not_found = 0;
    std::uint64_t links = 0;           // remote gets served by linking (same server)
    std::uint64_t s2s_bytes_in = 0;    // object bytes fetched from other servers
    std::uint64_t data_bytes_out = 0;  // object bytes sent to clients
    std::uint64_t data_bytes_in = 0;   // object bytes put by clients
    std::uint64_t max_in_service = 0;  // most requests in service for one client at once
};

class SimDecade {
  public:
    // Unix seconds at TimePoint{} (as EngineConfig::decade.unix_offset_s).
    SimDecade(Simulator& sim, Network& net, Swarm& swarm, std::int64_t unix_offset_s);

    // Adds a server reachable as `url` (an http:// URL). `skew_s`: token expiry allowance.
    void add_server(const std::string& url, NodeLinks links, std::size_t slots_per_client = 4,
                    std::int64_t skew_s = 1);
    // Registers a locker on a server (dev-open POST /v1/lockers); its secret comes from
    // the simulator's seeded generator.
    SimDecadeLocker register_locker(const std::string& url);
    void set_alive(const std::string& url, bool alive);

    [[nodiscard]] const SimDecadeStats& stats(const std::string& url) const;
    [[nodiscard]] std::uint64_t bytes_sent(const std::string& url) const;  // on its uplink
    // Objects (locker references) and distinct stored blobs on a server: dedup shows as
    // references >> blobs.
    [[nodiscard]] std::size_t references(const std::string& url) const;
    [[nodiscard]] std::size_t blobs(const std::string& url) const;

    // A direct Get_Object (no network), for tests of token scope and expiry.
    [[nodiscard]] Result<std::shared_ptr<const std::string>> get(const std::string& url,
                                                                 const std::string& locker,
                                                                 const std::string& name,
                                                                 const std::string& token) const;

  private:
    struct Server {
        std::string url;
        std::string normalized_url;  // as the core compares remote_server
        NodeId node = 0;
        std::size_t slots = 4;
        bool alive = true;
        std::unique_ptr<decade_server::MemoryStore> store;
        std::unique_ptr<decade_server::ServerCore> core;
        std::map<Handle, std::size_t> in_service;
        SimDecadeStats stats;
    };

    void on_action(Handle h, peer::Action& action);
    void fetch(Handle h, peer::DecadeFetch f);
    void put(Handle h, peer::DecadePut p);
    // Sends a reply from server to client and hands the result to the engine on arrival.
    void reply(Server& s, Handle h, std::uint64_t stream, std::uint64_t bytes,
               std::function<void(peer::PeerEngine&)> fn);
    void refuse(Handle h, const std::string& url, std::function<void(peer::PeerEngine&)> fn);
    // Counts a refused op in the server's stats.
    static void count_refusal(Server& s, const decade_server::OpResult& r);
    [[nodiscard]] Server* find_remote(std::string_view remote_server) const;
    [[nodiscard]] std::int64_t unix_now() const;
    void sweep();
    [[nodiscard]] Server* find(const std::string& url) const;
    [[nodiscard]] std::uint64_t stream(NodeId a, NodeId b, std::uint64_t slot) const;
    // A stored object's chunks, decoded once per stored copy and shared by every engine
    // that fetches it (each still verifies them); empty when the bytes do not decode, so
    // the engine decodes them itself and refuses them.
    std::vector<std::shared_ptr<const wire::Chunk>> decoded(
        const std::shared_ptr<const std::string>& data);

    Simulator& sim_;
    Network& net_;
    Swarm& swarm_;
    std::int64_t unix_offset_s_;
    std::vector<std::unique_ptr<Server>> servers_;
    std::uint64_t next_locker_ = 1;
    struct Decoded {
        std::weak_ptr<const std::string> data;  // tells a freed copy from a new one there
        std::vector<std::shared_ptr<const wire::Chunk>> chunks;
    };
    std::unordered_map<const std::string*, Decoded> decoded_;  // by stored copy; swept
};

}  // namespace p2pls::netsim
