#include "portal/core/alto_ranking.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <numeric>

namespace p2pls::portal {

namespace json = boost::json;

std::optional<std::string> typed_address(std::string_view address) {
    if (address.empty() || address.size() > 45) {
        return std::nullopt;
    }
    const std::string z(address);
    std::array<unsigned char, 16> bytes{};
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (inet_pton(AF_INET, z.c_str(), bytes.data()) == 1) {
        inet_ntop(AF_INET, bytes.data(), text.data(), text.size());
        return "ipv4:" + std::string(text.data());
    }
    if (inet_pton(AF_INET6, z.c_str(), bytes.data()) == 1) {
        inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
        return "ipv6:" + std::string(text.data());
    }
    return std::nullopt;
}

std::string endpoint_cost_request(std::string_view client,
                                  const std::vector<std::string>& servers) {
    json::array dsts;
    for (const auto& s : servers) {
        if (const auto typed = typed_address(s)) {
            dsts.emplace_back(*typed);
        }
    }
    json::array srcs;
    if (const auto typed = typed_address(client)) {
        srcs.emplace_back(*typed);
    }
    return json::serialize(
        json::object{{"cost-type", {{"cost-mode", "numerical"}, {"cost-metric", "routingcost"}}},
                     {"endpoints", {{"srcs", std::move(srcs)}, {"dsts", std::move(dsts)}}}});
}

std::optional<std::vector<std::optional<double>>> endpoint_costs(
    std::string_view body, std::string_view client, const std::vector<std::string>& servers) {
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    const auto source = typed_address(client);
    if (ec || !root.is_object() || !source) {
        return std::nullopt;
    }
    const auto* map = root.as_object().if_contains("endpoint-cost-map");
    if (map == nullptr || !map->is_object()) {
        return std::nullopt;
    }
    const auto* row = map->as_object().if_contains(*source);
    if (row == nullptr || !row->is_object()) {
        return std::nullopt;
    }
    std::vector<std::optional<double>> costs(servers.size());
    for (std::size_t i = 0; i < servers.size(); ++i) {
        const auto typed = typed_address(servers[i]);
        const auto* cost = typed ? row->as_object().if_contains(*typed) : nullptr;
        if (cost != nullptr && cost->is_number()) {
            costs[i] = cost->to_number<double>();
        }
    }
    return costs;
}

std::vector<std::size_t> rank_by_cost(const std::vector<std::optional<double>>& costs) {
    std::vector<std::size_t> order(costs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (costs[a].has_value() != costs[b].has_value()) {
            return costs[a].has_value();
        }
        return costs[a].has_value() && *costs[a] < *costs[b];
    });
    return order;
}

}  // namespace p2pls::portal
