// The JSON pieces that more than one ALTO answer shares (RFC 7285 §11): the network-map
// member, a cost type, a cost value and the error body of §8.5.2. Boost.JSON keeps an
// object's members in insertion order, so every answer is byte-for-byte reproducible.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "alto/core/cost_map.hpp"
#include "alto/core/network_map.hpp"

namespace p2pls::alto {

// {"PID": {"ipv4": [...], "ipv6": [...]}, ...}, a family without prefixes left out.
boost::json::object network_map_json(const NetworkMap& map);
// {"cost-mode": ..., "cost-metric": "routingcost"}
boost::json::object cost_type_json(CostMode mode);
// An integral cost as a JSON integer (1, not 1.0), any other as a number.
boost::json::value cost_json(double cost);

// The RFC's error codes (§8.5.2); each answers 400.
enum class AltoErrc { syntax, missing_field, invalid_field_type, invalid_field_value };
std::string_view alto_errc_name(AltoErrc code);  // "E_SYNTAX", ...

struct AltoError {
    AltoErrc code = AltoErrc::syntax;
    std::string field;  // JSON path with '/', e.g. "cost-type/cost-mode" (not for E_SYNTAX)
    std::string value;  // the offending value (E_INVALID_FIELD_VALUE), or a syntax message
};
// {"meta": {"code": "E_...", "field": ..., "value": ... | "syntax-error": ...}}
std::string alto_error_body(const AltoError& error);

}  // namespace p2pls::alto
