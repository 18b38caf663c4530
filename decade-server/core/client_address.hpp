// Who is asking, as far as the server can know it itself (DESIGN.md §8: a grantee-bound
// token is bound to something the server checks, never to a header the caller sets).
//
// The answer is the connection's peer address. Only when that peer is one of the
// operator's trusted proxies (`decade-server --trusted-proxy ADDR`) does the proxy's
// X-Decade-Client header count: it names the real client's address. From anyone else the
// header is ignored, so a thief who holds a grantee-bound token cannot claim to be its
// grantee by sending the grantee's address.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/core/http_error.hpp"

namespace p2pls::decade_server {

// `peer_address` is the connection's peer as the adapter saw it, in canonical text (an
// IPv4-mapped IPv6 address written as IPv4); `client_header` is X-Decade-Client as sent
// (the adapter canonicalises it when it is an address); `trusted_proxies` are canonical
// addresses. A trusted proxy that sends no header asks for itself. A trusted proxy whose
// header is not one IP address gets a 400: guessing would bind tokens to the proxy.
Expected<std::string> client_address(std::string_view peer_address, std::string_view client_header,
                                     const std::vector<std::string>& trusted_proxies);

// True for text that can be one IPv4 or IPv6 address (digits, hex, '.' and ':' only, at most
// 45 characters): what X-Decade-Client must hold. The adapter parses it properly.
[[nodiscard]] bool looks_like_ip_address(std::string_view text) noexcept;

}  // namespace p2pls::decade_server
