// What one ALTO server answers from: its network map, the routing costs between its PIDs
// and the map's version tag (RFC 7285 §10.3), all read from one TOML text:
//
//   resource_id = "default-network-map"    # optional; the network map's resource id
//   [pids.east]
//   ipv4 = ["127.1.0.0/16"]
//   ipv6 = ["fd00:1::/32"]
//   [pids.default]
//   ipv4 = ["0.0.0.0/0"]
//   ipv6 = ["::/0"]
//   [[costs]]
//   src = "east"
//   dst = "default"
//   routingcost = 10          # >= 0
//   symmetric = true          # optional: the same cost from dst to src
//
// The vtag is the SHA-256 of the network map's canonical JSON, so it changes exactly when
// the map does (a reload that only changes costs keeps it, and cost maps keep naming the
// same map version in their dependent-vtags).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "alto/core/cost_map.hpp"
#include "alto/core/network_map.hpp"

namespace p2pls::alto {

inline constexpr std::string_view kDefaultNetworkMapId = "default-network-map";

struct AltoMaps {
    std::string resource_id;  // the network map's
    NetworkMap network;
    CostTable routing;
    std::string vtag;  // 64 hex digits
};

// The maps, or a one-line reason naming the key or value at fault.
std::variant<AltoMaps, std::string> parse_alto_maps(std::string_view toml_text);

}  // namespace p2pls::alto
