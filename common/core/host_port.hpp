// The one "host:port" syntax of the project: every --listen flag, every endpoint a peer
// announces to the tracker and the tracker hands out, every --bootstrap neighbour.
//
//   host:port      host of letters, digits, '.' and '-' (a name or an IPv4 address),
//                  1..253 bytes
//   [v6]:port      an IPv6 literal in brackets: hex digits, ':' and '.', 1..45 bytes
//   port           decimal digits only (no sign, space or suffix), 1..65535, or
//                  0..65535 where port 0 means "any free port" (HostPortRules)
//
// Pure parsing: nothing is resolved and no address is checked for being numeric; that
// is the Asio adapter's job (common/net/endpoint.hpp), which binds and connects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls {

inline constexpr std::size_t kMaxHostName = 253;  // bytes, as DNS allows
inline constexpr std::size_t kMaxIpv6Literal = 45;

// A parsed "host:port".
struct HostPort {
    std::string host;  // without brackets
    std::uint16_t port = 0;
};

struct HostPortRules {
    // Port 0 accepted: a listening socket's "any free port". Announced endpoints need
    // a real port.
    bool allow_port_zero = false;
};

// Parses `text`. On failure, Errc::bad_request and `why` is a short phrase saying what is
// wrong ("no port; expected \"host:port\"", "empty host", "port must be 1..65535", ...)
// for the caller to put after the name of its field; it never echoes the input.
Result<HostPort> parse_host_port(std::string_view text, HostPortRules rules, std::string& why);

}  // namespace p2pls
