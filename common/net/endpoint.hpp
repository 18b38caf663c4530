// "host:port" (common/core/host_port.hpp) to an Asio TCP endpoint, for what binds or
// connects. The host must be an IP address literal: nothing is resolved, because peers
// and servers bind, announce and are handed out as addresses.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/core/host_port.hpp"

namespace p2pls::net {

// The endpoint of `hp`, or nullopt when its host is not an IPv4 or IPv6 address.
std::optional<boost::asio::ip::tcp::endpoint> to_tcp_endpoint(const HostPort& hp);

// parse_host_port, then to_tcp_endpoint. On failure, Errc::bad_request with `why` set:
// the parser's reason, or "\"<host>\" is not an IP address".
Result<boost::asio::ip::tcp::endpoint> parse_tcp_endpoint(std::string_view text,
                                                          HostPortRules rules, std::string& why);

}  // namespace p2pls::net
