#include "alto/core/alto_json.hpp"

#include <cmath>

namespace p2pls::alto {

namespace json = boost::json;

json::object network_map_json(const NetworkMap& map) {
    json::object out;
    for (const Pid& pid : map.pids()) {
        json::object blocks;
        for (const auto& [name, list] :
             {std::pair{"ipv4", &pid.ipv4}, std::pair{"ipv6", &pid.ipv6}}) {
            if (list->empty()) {
                continue;
            }
            json::array prefixes;
            for (const Prefix& prefix : *list) {
                prefixes.emplace_back(prefix_text(prefix));
            }
            blocks[name] = std::move(prefixes);
        }
        out[pid.name] = std::move(blocks);
    }
    return out;
}

json::object cost_type_json(CostMode mode) {
    return {{"cost-mode", cost_mode_name(mode)}, {"cost-metric", kRoutingCost}};
}

json::value cost_json(double cost) {
    double whole = 0;
    if (std::modf(cost, &whole) == 0.0 && std::fabs(cost) < 9.0e15) {
        return static_cast<std::int64_t>(whole);
    }
    return cost;
}

std::string_view alto_errc_name(AltoErrc code) {
    switch (code) {
        case AltoErrc::syntax:
            return "E_SYNTAX";
        case AltoErrc::missing_field:
            return "E_MISSING_FIELD";
        case AltoErrc::invalid_field_type:
            return "E_INVALID_FIELD_TYPE";
        case AltoErrc::invalid_field_value:
            return "E_INVALID_FIELD_VALUE";
    }
    return "E_SYNTAX";
}

std::string alto_error_body(const AltoError& error) {
    json::object meta{{"code", alto_errc_name(error.code)}};
    if (error.code == AltoErrc::syntax) {
        if (!error.value.empty()) {
            meta["syntax-error"] = error.value;
        }
    } else {
        meta["field"] = error.field;
        if (error.code == AltoErrc::invalid_field_value && !error.value.empty()) {
            meta["value"] = error.value;
        }
    }
    return json::serialize(json::object{{"meta", std::move(meta)}});
}

}  // namespace p2pls::alto
