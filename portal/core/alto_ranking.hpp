// Ordering a slice's servers for one user by ALTO (RFC 7285 §11.5, the endpoint cost
// service; the draft's §6.1: the portal "asks the ALTO server for the optimal DECADE
// server"): the request the portal sends, with the user's address as the source and the
// zones' addresses as destinations, and the reading of the answer. Whatever goes wrong
// with ALTO (down, an error, an answer without costs) leaves the zones in their
// configured order: a download never fails for want of a ranking.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2pls::portal {

// "ipv4:192.0.2.1" / "ipv6:2001:db8::1" for an address's text; nullopt when it is neither.
std::optional<std::string> typed_address(std::string_view address);

// The endpoint cost request body (application/alto-endpointcostparams+json), numerical
// routingcost, `client` as the one source. Addresses that are not IP addresses are left
// out (they keep their place in the default order).
std::string endpoint_cost_request(std::string_view client, const std::vector<std::string>& servers);

// Each server's cost from the answer (nullopt where it gives none); nullopt as a whole when
// the body is not an endpoint cost map for `client`.
std::optional<std::vector<std::optional<double>>> endpoint_costs(
    std::string_view body, std::string_view client, const std::vector<std::string>& servers);

// The positions 0..n-1 ordered by cost, cheapest first; no cost sorts after every cost,
// and ties keep the configured order.
std::vector<std::size_t> rank_by_cost(const std::vector<std::optional<double>>& costs);

}  // namespace p2pls::portal
