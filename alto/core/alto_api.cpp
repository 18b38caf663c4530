#include "alto/core/alto_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <variant>
#include <vector>

#include "alto/core/alto_json.hpp"

namespace p2pls::alto {

namespace {

namespace json = boost::json;

constexpr std::string_view kNumRouting = "num-routingcost";
constexpr std::string_view kOrdRouting = "ord-routingcost";
// An offending value is echoed in an error body up to this many bytes.
constexpr std::size_t kMaxEchoed = 256;

template <class T>
using Checked = std::variant<T, AltoError>;

AltoResponse text(unsigned status, std::string body, std::string allow = {}) {
    return {status, "text/plain; charset=utf-8", std::move(body) + "\n", std::move(allow)};
}

AltoResponse error_response(const AltoError& error) {
    return {400, std::string(media::error), alto_error_body(error), {}};
}

AltoResponse ok(std::string_view type, const json::value& body) {
    return {200, std::string(type), json::serialize(body), {}};
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// The media type of a Content-Type or Accept entry, without its parameters.
std::string_view bare_type(std::string_view entry) {
    return trim(entry.substr(0, entry.find(';')));
}

// Whether one Accept entry's parameters say q=0 (the type is refused).
bool refused(std::string_view entry) {
    for (auto rest = entry; rest.find(';') != std::string_view::npos;) {
        rest = rest.substr(rest.find(';') + 1);
        const auto param = trim(rest.substr(0, rest.find(';')));
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            double q = 1;
            const auto v = param.substr(2);
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
            return ec == std::errc{} && q <= 0;
        }
    }
    return false;
}

// Whether an Accept header allows `type` (an absent header allows everything).
bool accepts(std::string_view accept, std::string_view type) {
    if (trim(accept).empty()) {
        return true;
    }
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        const auto entry = accept.substr(0, comma);
        const auto t = bare_type(entry);
        if ((iequals(t, type) || t == "*/*" || iequals(t, "application/*")) && !refused(entry)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        accept.remove_prefix(comma + 1);
    }
    return false;
}

std::string echoed(std::string_view value) {
    return std::string(value.substr(0, kMaxEchoed));
}

Checked<json::object> parse_object(std::string_view body) {
    json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t used = parser.write(body.data(), body.size(), ec);
    if (!ec) {
        parser.finish(ec);
    }
    if (ec) {
        return AltoError{
            AltoErrc::syntax, {}, "offset " + std::to_string(used) + ": " + ec.message()};
    }
    json::value value = parser.release();
    if (!value.is_object()) {
        return AltoError{AltoErrc::syntax, {}, "the request must be a JSON object"};
    }
    return std::move(value.as_object());
}

Checked<CostMode> read_cost_type(const json::object& request) {
    const auto* type = request.if_contains("cost-type");
    if (type == nullptr) {
        return AltoError{AltoErrc::missing_field, "cost-type", {}};
    }
    if (!type->is_object()) {
        return AltoError{AltoErrc::invalid_field_type, "cost-type", {}};
    }
    const auto& fields = type->get_object();
    const auto* mode = fields.if_contains("cost-mode");
    const auto* metric = fields.if_contains("cost-metric");
    if (mode == nullptr) {
        return AltoError{AltoErrc::missing_field, "cost-type/cost-mode", {}};
    }
    if (!mode->is_string()) {
        return AltoError{AltoErrc::invalid_field_type, "cost-type/cost-mode", {}};
    }
    if (metric == nullptr) {
        return AltoError{AltoErrc::missing_field, "cost-type/cost-metric", {}};
    }
    if (!metric->is_string()) {
        return AltoError{AltoErrc::invalid_field_type, "cost-type/cost-metric", {}};
    }
    const auto parsed = parse_cost_mode(mode->get_string());
    if (!parsed) {
        return AltoError{AltoErrc::invalid_field_value, "cost-type/cost-mode",
                         echoed(mode->get_string())};
    }
    if (metric->get_string() != kRoutingCost) {
        return AltoError{AltoErrc::invalid_field_value, "cost-type/cost-metric",
                         echoed(metric->get_string())};
    }
    return *parsed;
}

// An optional array of strings (absent: empty); `field` names it in errors.
Checked<std::vector<std::string_view>> read_strings(const json::object& object,
                                                    std::string_view key, std::string field) {
    std::vector<std::string_view> out;
    const auto* list = object.if_contains(key);
    if (list == nullptr) {
        return out;
    }
    if (!list->is_array()) {
        return AltoError{AltoErrc::invalid_field_type, std::move(field), {}};
    }
    for (const auto& item : list->get_array()) {
        if (!item.is_string()) {
            return AltoError{AltoErrc::invalid_field_type, std::move(field), {}};
        }
        out.emplace_back(item.get_string());
    }
    return out;
}

Checked<std::vector<Constraint>> read_constraints(const json::object& request) {
    auto texts = read_strings(request, "constraints", "constraints");
    if (auto* e = std::get_if<AltoError>(&texts)) {
        return *e;
    }
    std::vector<Constraint> out;
    for (const auto text : std::get<0>(texts)) {
        const auto c = parse_constraint(text);
        if (!c) {
            return AltoError{AltoErrc::invalid_field_value, "constraints", echoed(text)};
        }
        out.push_back(*c);
    }
    return out;
}

// The PID indices a filter names, in the order given, those the map lacks left out; all
// of them when the list is absent or empty (§11.3.2.3).
Checked<std::vector<std::size_t>> read_pid_filter(const NetworkMap& map, const json::object* pids,
                                                  std::string_view key) {
    std::vector<std::size_t> out;
    std::vector<std::string_view> names;
    if (pids != nullptr) {
        auto read = read_strings(*pids, key, "pids/" + std::string(key));
        if (auto* e = std::get_if<AltoError>(&read)) {
            return *e;
        }
        names = std::move(std::get<0>(read));
    }
    if (names.empty()) {
        for (std::size_t i = 0; i < map.pids().size(); ++i) {
            out.push_back(i);
        }
        return out;
    }
    for (const auto name : names) {
        if (!valid_pid_name(name)) {
            return AltoError{AltoErrc::invalid_field_value, "pids/" + std::string(key),
                             echoed(name)};
        }
        if (const auto i = map.find(name);
            i && std::find(out.begin(), out.end(), *i) == out.end()) {
            out.push_back(*i);
        }
    }
    return out;
}

// "ipv4:192.0.2.1" / "ipv6:2001:db8::1" (RFC 7285 §10.4.1).
std::optional<IpAddress> parse_typed_address(std::string_view text) {
    if (text.starts_with("ipv4:")) {
        return parse_address(text.substr(5), Family::ipv4);
    }
    if (text.starts_with("ipv6:")) {
        return parse_address(text.substr(5), Family::ipv6);
    }
    return std::nullopt;
}

std::string typed_text(const IpAddress& address) {
    return (address.family == Family::ipv4 ? "ipv4:" : "ipv6:") + address_text(address);
}

// The transport's view of the client, an IPv4-mapped IPv6 address taken as the IPv4 one.
std::optional<IpAddress> client_of(std::string_view text) {
    if (auto v4 = parse_address(text, Family::ipv4)) {
        return v4;
    }
    auto v6 = parse_address(text, Family::ipv6);
    if (v6 && v6->hi == 0 && (v6->lo >> 32) == 0xffff) {
        return IpAddress{Family::ipv4, v6->lo << 32, 0};
    }
    return v6;
}

Checked<std::vector<IpAddress>> read_endpoints(const json::object& endpoints,
                                               std::string_view key) {
    const std::string field = "endpoints/" + std::string(key);
    auto texts = read_strings(endpoints, key, field);
    if (auto* e = std::get_if<AltoError>(&texts)) {
        return *e;
    }
    const auto& list = std::get<0>(texts);
    if (list.size() > kMaxEndpoints) {
        return AltoError{AltoErrc::invalid_field_value, field,
                         "more than " + std::to_string(kMaxEndpoints) + " addresses"};
    }
    std::vector<IpAddress> out;
    for (const auto text : list) {
        const auto address = parse_typed_address(text);
        if (!address) {
            return AltoError{AltoErrc::invalid_field_value, field, echoed(text)};
        }
        out.push_back(*address);
    }
    return out;
}

json::object dependent_vtag_meta(const AltoMaps& maps, CostMode mode) {
    return {{"dependent-vtags",
             json::array{json::object{{"resource-id", maps.resource_id}, {"tag", maps.vtag}}}},
            {"cost-type", cost_type_json(mode)}};
}

// {"src": {"dst": cost, ...}, ...} over the given PIDs, rows without a cost left out.
json::object cost_map_json(const AltoMaps& maps, const std::vector<std::size_t>& srcs,
                           const std::vector<std::size_t>& dsts, CostMode mode,
                           const std::vector<Constraint>& constraints) {
    const auto& pids = maps.network.pids();
    json::object out;
    for (const std::size_t src : srcs) {
        std::vector<std::optional<double>> row;
        row.reserve(dsts.size());
        for (const std::size_t dst : dsts) {
            row.push_back(maps.routing.get(src, dst));
        }
        row = answer_row(std::move(row), mode, constraints);
        json::object costs;
        for (std::size_t i = 0; i < dsts.size(); ++i) {
            if (row[i]) {
                costs[pids[dsts[i]].name] = cost_json(*row[i]);
            }
        }
        if (!costs.empty()) {
            out[pids[src].name] = std::move(costs);
        }
    }
    return out;
}

std::vector<std::size_t> all_pids(const AltoMaps& maps) {
    std::vector<std::size_t> all(maps.network.pids().size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i] = i;
    }
    return all;
}

json::object directory(const AltoService& service) {
    const std::string base(service.base_uri);
    const std::string& map_id = service.maps.resource_id;
    const json::array uses{json::value(map_id)};
    const json::array both{json::value(kNumRouting), json::value(kOrdRouting)};
    return {{"meta",
             {{"cost-types",
               {{kNumRouting, cost_type_json(CostMode::numerical)},
                {kOrdRouting, cost_type_json(CostMode::ordinal)}}},
              {"default-alto-network-map", map_id}}},
            {"resources",
             {{map_id, {{"uri", base + "/networkmap"}, {"media-type", media::network_map}}},
              {"costmap-num-routingcost",
               {{"uri", base + "/costmap/num/routingcost"},
                {"media-type", media::cost_map},
                {"capabilities", {{"cost-type-names", json::array{json::value(kNumRouting)}}}},
                {"uses", uses}}},
              {"costmap-ord-routingcost",
               {{"uri", base + "/costmap/ord/routingcost"},
                {"media-type", media::cost_map},
                {"capabilities", {{"cost-type-names", json::array{json::value(kOrdRouting)}}}},
                {"uses", uses}}},
              {"filtered-costmap",
               {{"uri", base + "/costmap/filtered"},
                {"media-type", media::cost_map},
                {"accepts", media::cost_map_filter},
                {"capabilities", {{"cost-constraints", true}, {"cost-type-names", both}}},
                {"uses", uses}}},
              {"endpoint-cost",
               {{"uri", base + "/endpointcost/lookup"},
                {"media-type", media::endpoint_cost},
                {"accepts", media::endpoint_cost_params},
                {"capabilities", {{"cost-constraints", true}, {"cost-type-names", both}}}}}}}};
}

AltoResponse filtered_cost_map(const AltoMaps& maps, std::string_view body) {
    auto parsed = parse_object(body);
    if (auto* e = std::get_if<AltoError>(&parsed)) {
        return error_response(*e);
    }
    const auto& request = std::get<json::object>(parsed);
    const auto mode = read_cost_type(request);
    if (auto* e = std::get_if<AltoError>(&mode)) {
        return error_response(*e);
    }
    const auto constraints = read_constraints(request);
    if (auto* e = std::get_if<AltoError>(&constraints)) {
        return error_response(*e);
    }
    const json::object* pids = nullptr;
    if (const auto* p = request.if_contains("pids")) {
        if (!p->is_object()) {
            return error_response({AltoErrc::invalid_field_type, "pids", {}});
        }
        pids = &p->get_object();
    }
    const auto srcs = read_pid_filter(maps.network, pids, "srcs");
    if (auto* e = std::get_if<AltoError>(&srcs)) {
        return error_response(*e);
    }
    const auto dsts = read_pid_filter(maps.network, pids, "dsts");
    if (auto* e = std::get_if<AltoError>(&dsts)) {
        return error_response(*e);
    }
    const CostMode m = std::get<CostMode>(mode);
    return ok(media::cost_map,
              json::object{{"meta", dependent_vtag_meta(maps, m)},
                           {"cost-map", cost_map_json(maps, std::get<0>(srcs), std::get<0>(dsts), m,
                                                      std::get<0>(constraints))}});
}

AltoResponse endpoint_cost(const AltoMaps& maps, const AltoRequest& in) {
    auto parsed = parse_object(in.body);
    if (auto* e = std::get_if<AltoError>(&parsed)) {
        return error_response(*e);
    }
    const auto& request = std::get<json::object>(parsed);
    const auto mode = read_cost_type(request);
    if (auto* e = std::get_if<AltoError>(&mode)) {
        return error_response(*e);
    }
    const auto constraints = read_constraints(request);
    if (auto* e = std::get_if<AltoError>(&constraints)) {
        return error_response(*e);
    }
    const auto* endpoints = request.if_contains("endpoints");
    if (endpoints == nullptr) {
        return error_response({AltoErrc::missing_field, "endpoints", {}});
    }
    if (!endpoints->is_object()) {
        return error_response({AltoErrc::invalid_field_type, "endpoints", {}});
    }
    const auto& lists = endpoints->get_object();
    if (!lists.contains("dsts")) {
        return error_response({AltoErrc::missing_field, "endpoints/dsts", {}});
    }
    auto srcs = read_endpoints(lists, "srcs");
    if (auto* e = std::get_if<AltoError>(&srcs)) {
        return error_response(*e);
    }
    const auto dsts = read_endpoints(lists, "dsts");
    if (auto* e = std::get_if<AltoError>(&dsts)) {
        return error_response(*e);
    }
    auto& sources = std::get<0>(srcs);
    const auto& targets = std::get<0>(dsts);
    if (targets.empty()) {
        return error_response({AltoErrc::invalid_field_value, "endpoints/dsts", "[]"});
    }
    if (sources.empty()) {
        // No source named: the client itself (§11.5.1.3).
        const auto client = client_of(in.client_address);
        if (!client) {
            return error_response({AltoErrc::missing_field, "endpoints/srcs", {}});
        }
        sources.push_back(*client);
    }
    if (sources.size() * targets.size() > kMaxEndpointPairs) {
        return error_response({AltoErrc::invalid_field_value, "endpoints",
                               "more than " + std::to_string(kMaxEndpointPairs) + " pairs"});
    }
    std::vector<std::size_t> dst_pids;
    dst_pids.reserve(targets.size());
    for (const auto& dst : targets) {
        dst_pids.push_back(maps.network.lookup(dst));
    }
    const CostMode m = std::get<CostMode>(mode);
    json::object map;
    for (const auto& src : sources) {
        const std::size_t src_pid = maps.network.lookup(src);
        std::vector<std::optional<double>> row;
        row.reserve(targets.size());
        for (const std::size_t dst_pid : dst_pids) {
            row.push_back(maps.routing.get(src_pid, dst_pid));
        }
        row = answer_row(std::move(row), m, std::get<0>(constraints));
        json::object costs;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (row[i]) {
                costs[typed_text(targets[i])] = cost_json(*row[i]);
            }
        }
        map[typed_text(src)] = std::move(costs);
    }
    return ok(media::endpoint_cost, json::object{{"meta", {{"cost-type", cost_type_json(m)}}},
                                                 {"endpoint-cost-map", std::move(map)}});
}

}  // namespace

AltoResponse handle_alto_request(const AltoService& service, const AltoRequest& request) {
    const auto path = request.target.substr(0, request.target.find('?'));
    const AltoMaps& maps = service.maps;

    struct Route {
        std::string_view path;
        std::string_view method;
        std::string_view answers;  // media type of a success
        std::string_view accepts;  // media type of the request body ("" for GET)
    };
    static constexpr std::array<Route, 7> routes{{
        {"/", "GET", media::directory, ""},
        {"/directory", "GET", media::directory, ""},
        {"/networkmap", "GET", media::network_map, ""},
        {"/costmap/num/routingcost", "GET", media::cost_map, ""},
        {"/costmap/ord/routingcost", "GET", media::cost_map, ""},
        {"/costmap/filtered", "POST", media::cost_map, media::cost_map_filter},
        {"/endpointcost/lookup", "POST", media::endpoint_cost, media::endpoint_cost_params},
    }};
    const auto route =
        std::find_if(routes.begin(), routes.end(), [&](const Route& r) { return r.path == path; });
    if (route == routes.end()) {
        return text(404,
                    "no such resource; the directory is at /directory (GET /networkmap, "
                    "/costmap/num/routingcost, /costmap/ord/routingcost; POST "
                    "/costmap/filtered, /endpointcost/lookup)");
    }
    if (request.method != route->method) {
        return text(405, std::string(route->path) + " answers " + std::string(route->method),
                    std::string(route->method));
    }
    if (!accepts(request.accept, route->answers)) {
        return text(406, std::string(route->path) + " answers " + std::string(route->answers));
    }
    if (!route->accepts.empty() && !iequals(bare_type(request.content_type), route->accepts)) {
        return text(415, std::string(route->path) + " takes a body of Content-Type " +
                             std::string(route->accepts));
    }

    if (route->answers == media::directory) {
        return ok(media::directory, directory(service));
    }
    if (path == "/networkmap") {
        return ok(media::network_map,
                  json::object{
                      {"meta", {{"vtag", {{"resource-id", maps.resource_id}, {"tag", maps.vtag}}}}},
                      {"network-map", network_map_json(maps.network)}});
    }
    if (path == "/costmap/filtered") {
        return filtered_cost_map(maps, request.body);
    }
    if (path == "/endpointcost/lookup") {
        return endpoint_cost(maps, request);
    }
    const CostMode mode =
        path == "/costmap/num/routingcost" ? CostMode::numerical : CostMode::ordinal;
    return ok(
        media::cost_map,
        json::object{{"meta", dependent_vtag_meta(maps, mode)},
                     {"cost-map", cost_map_json(maps, all_pids(maps), all_pids(maps), mode, {})}});
}

}  // namespace p2pls::alto
