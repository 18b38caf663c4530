// The ALTO server's HTTP API (RFC 7285) as a pure function: method, target, the two
// media-type headers, body and the client's address in; status, media type and body out.
//
//   GET  /directory  (and /)       the information resource directory (§9)
//   GET  /networkmap               the network map, with its vtag (§11.2.1)
//   GET  /costmap/num/routingcost  the full cost map, numerical (§11.2.3)
//   GET  /costmap/ord/routingcost  the same, ordinal
//   POST /costmap/filtered         filtered cost map, both modes, constraints (§11.3.2)
//   POST /endpointcost/lookup      endpoint cost service, both modes, constraints (§11.5.1)
//
// Every answer carries the RFC's media type. A request body that is not JSON is
// E_SYNTAX; a field that is missing, of the wrong type or with a value the server cannot
// use is E_MISSING_FIELD, E_INVALID_FIELD_TYPE or E_INVALID_FIELD_VALUE, naming the field
// (§8.5.2), all as application/alto-error+json with 400. An Accept header that does not
// allow the answer's type gets 406, a POST body of another Content-Type 415, an unknown
// path 404 and a wrong method 405 (these four with a line of text). Unknown fields are ignored
// (§8.3.7); a PID in a filter that the map does not have is left out of the answer. Ordinal ranks
// are over the destinations of the answer's row.
#pragma once

#include <string>
#include <string_view>

#include "alto/core/alto_maps.hpp"

namespace p2pls::alto {

namespace media {
inline constexpr std::string_view directory = "application/alto-directory+json";
inline constexpr std::string_view network_map = "application/alto-networkmap+json";
inline constexpr std::string_view cost_map = "application/alto-costmap+json";
inline constexpr std::string_view cost_map_filter = "application/alto-costmapfilter+json";
inline constexpr std::string_view endpoint_cost = "application/alto-endpointcost+json";
inline constexpr std::string_view endpoint_cost_params = "application/alto-endpointcostparams+json";
inline constexpr std::string_view error = "application/alto-error+json";
}  // namespace media

// Bounds on one endpoint cost request, so that one POST cannot ask for a billion pairs.
inline constexpr std::size_t kMaxEndpoints = 10'000;  // in srcs, and in dsts
inline constexpr std::size_t kMaxEndpointPairs = 100'000;

struct AltoRequest {
    std::string_view method;
    std::string_view target;        // path and optional query
    std::string_view content_type;  // "" when absent
    std::string_view accept;        // "" when absent (anything goes)
    std::string_view body;
    // The client's address as the server sees it: the source of an endpoint cost request
    // that names none (§11.5.1.3).
    std::string_view client_address;
};

struct AltoResponse {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::string allow;  // for 405
};

struct AltoService {
    const AltoMaps& maps;
    // The absolute URI the directory's resources are under, e.g. "http://alto.example:8500".
    std::string_view base_uri;
};

AltoResponse handle_alto_request(const AltoService& service, const AltoRequest& request);

}  // namespace p2pls::alto
