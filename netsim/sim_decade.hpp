// Simulated DECADE servers for DECADE-mode swarms (issue 7; DESIGN.md §3 "DECADE"). Each
// server is a node on the simulated network with its own links (its uplink rate is its
// egress cap) and answers the engines' DecadeFetch (Remote Get, one op or a batch) and
// DecadePut actions the way decade-server does, in virtual time:
//  - a request travels client -> server; beyond `slots_per_client` requests in service
//    for one client the server answers 503 with Retry-After (draft §4.2.1);
//  - every op checks the tokens with the real decade::verify_token (the asker's put
//    token for its locker, the holder's range token for the remote object);
//  - a Remote Get whose object is on the same server links it (no bytes move); from
//    another server the bytes move server to server (remote uplink -> local downlink);
//  - the answer (object bytes + per-op overhead) travels server -> client;
//  - objects are stored once per server (lockers share the bytes) and expire by TTL.
// A server that is down refuses connections: requests fail after one round trip.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/core/errc.hpp"
#include "decade-module/core/token.hpp"
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
    // What decade::SecretLookup hands to verify_token (the locker's secret or its keyed
    // form, whichever the module uses), built from the secret.
    using LockerKey = std::remove_cv_t<
        std::remove_pointer_t<std::invoke_result_t<decade::SecretLookup, std::string_view>>>;

    // Unix seconds at TimePoint{} (as EngineConfig::decade.unix_offset_s).
    SimDecade(Simulator& sim, Network& net, Swarm& swarm, std::int64_t unix_offset_s);

    // Adds a server reachable as `url`. `skew_s`: token expiry allowance.
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
    struct Object {
        std::shared_ptr<const std::string> data;
        TimePoint expires{};
    };
    struct Server {
        std::string url;
        NodeId node = 0;
        std::size_t slots = 4;
        std::int64_t skew_s = 1;
        bool alive = true;
        std::map<std::string, LockerKey> lockers;
        std::map<std::string, std::map<std::string, Object>> objects;  // locker -> name -> obj
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
    [[nodiscard]] Errc check(const Server& s, std::string_view token, std::string_view locker,
                             std::uint8_t op, std::string_view name, std::uint64_t bytes) const;
    [[nodiscard]] std::int64_t unix_now() const;
    void sweep();
    Server* find(const std::string& url);
    [[nodiscard]] const Server* find(const std::string& url) const;
    [[nodiscard]] std::uint64_t stream(NodeId a, NodeId b, std::uint64_t slot) const;

    Simulator& sim_;
    Network& net_;
    Swarm& swarm_;
    std::int64_t unix_offset_s_;
    std::vector<std::unique_ptr<Server>> servers_;
    std::uint64_t next_locker_ = 1;
};

}  // namespace p2pls::netsim
