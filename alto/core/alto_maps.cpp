#include "alto/core/alto_maps.hpp"

#include <sodium.h>
#include <toml++/toml.h>

#include <array>
#include <cmath>
#include <optional>

#include "alto/core/alto_json.hpp"

namespace p2pls::alto {

namespace {

// A map of more PIDs than this is not a map an operator writes by hand; the cost table
// grows with the square of it.
constexpr std::size_t kMaxPids = 4096;

std::string vtag_of(const NetworkMap& map) {
    const std::string text = boost::json::serialize(network_map_json(map));
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return hex.data();
}

std::optional<std::string> read_prefixes(const toml::node& node, Family family,
                                         const std::string& where, std::vector<Prefix>& out) {
    const auto* list = node.as_array();
    if (list == nullptr) {
        return where + " must be an array of strings";
    }
    for (const auto& item : *list) {
        const auto text = item.value<std::string>();
        if (!text) {
            return where + " must be an array of strings";
        }
        std::string why;
        const auto prefix = parse_prefix(*text, family, why);
        if (!prefix) {
            return where + ": \"" + text->substr(0, 64) + "\": " + why;
        }
        out.push_back(*prefix);
    }
    return std::nullopt;
}

std::optional<std::string> read_pids(const toml::node& node, std::vector<Pid>& pids) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        return std::string("pids must be a table of PIDs ([pids.NAME])");
    }
    for (const auto& [key, value] : *table) {
        Pid pid{std::string(key.str()), {}, {}};
        const std::string where = "pids." + pid.name.substr(0, 64);
        const auto* fields = value.as_table();
        if (fields == nullptr) {
            return where + " must be a table with ipv4 and/or ipv6";
        }
        for (const auto& [field, list] : *fields) {
            const std::string_view f = field.str();
            if (f == "ipv4") {
                if (auto why = read_prefixes(list, Family::ipv4, where + ".ipv4", pid.ipv4)) {
                    return why;
                }
            } else if (f == "ipv6") {
                if (auto why = read_prefixes(list, Family::ipv6, where + ".ipv6", pid.ipv6)) {
                    return why;
                }
            } else {
                return where + ": unknown key \"" + std::string(f.substr(0, 64)) +
                       "\" (expected ipv4, ipv6)";
            }
        }
        pids.push_back(std::move(pid));
        if (pids.size() > kMaxPids) {
            return "more than " + std::to_string(kMaxPids) + " PIDs";
        }
    }
    return std::nullopt;
}

std::optional<std::string> read_costs(const toml::node& node, const NetworkMap& map,
                                      CostTable& table) {
    const auto* list = node.as_array();
    if (list == nullptr) {
        return std::string("costs must be an array of tables ([[costs]])");
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string where = "costs[" + std::to_string(i) + "]";
        const auto* entry = (*list)[i].as_table();
        if (entry == nullptr) {
            return where + " must be a table with src, dst and routingcost";
        }
        std::optional<std::size_t> src;
        std::optional<std::size_t> dst;
        std::optional<double> cost;
        bool symmetric = false;
        for (const auto& [key, value] : *entry) {
            const std::string_view k = key.str();
            if (k == "src" || k == "dst") {
                const auto name = value.value<std::string>();
                if (!name) {
                    return where + "." + std::string(k) + " must be a PID name";
                }
                const auto index = map.find(*name);
                if (!index) {
                    return where + "." + std::string(k) + ": no PID \"" + name->substr(0, 64) +
                           "\" in the network map";
                }
                (k == "src" ? src : dst) = *index;
            } else if (k == "routingcost") {
                const auto v = value.value<double>();
                if (!v || !std::isfinite(*v) || *v < 0) {
                    return where + ".routingcost must be a number >= 0";
                }
                cost = *v;
            } else if (k == "symmetric") {
                const auto v = value.value<bool>();
                if (!v) {
                    return where + ".symmetric must be true or false";
                }
                symmetric = *v;
            } else {
                return where + ": unknown key \"" + std::string(k.substr(0, 64)) +
                       "\" (expected src, dst, routingcost, symmetric)";
            }
        }
        if (!src || !dst || !cost) {
            return where + " needs src, dst and routingcost";
        }
        table.set(*src, *dst, *cost);
        if (symmetric) {
            table.set(*dst, *src, *cost);
        }
    }
    return std::nullopt;
}

}  // namespace

std::variant<AltoMaps, std::string> parse_alto_maps(std::string_view toml_text) {
    toml::table root;
    try {
        root = toml::parse(toml_text);
    } catch (const toml::parse_error& e) {
        return "line " + std::to_string(e.source().begin.line) + ": " +
               std::string(e.description());
    }
    std::string resource_id(kDefaultNetworkMapId);
    std::vector<Pid> pids;
    const toml::node* costs = nullptr;
    for (const auto& [key, node] : root) {
        const std::string_view k = key.str();
        if (k == "resource_id") {
            const auto v = node.value<std::string>();
            if (!v || !valid_pid_name(*v)) {
                return std::string(
                    "resource_id must be 1-64 letters, digits, '-', ':', '@', '_' or '.'");
            }
            resource_id = *v;
        } else if (k == "pids") {
            if (auto why = read_pids(node, pids)) {
                return *why;
            }
        } else if (k == "costs") {
            costs = &node;
        } else {
            return "unknown key \"" + std::string(k.substr(0, 64)) +
                   "\" (expected resource_id, pids, costs)";
        }
    }
    auto built = NetworkMap::build(std::move(pids));
    if (auto* why = std::get_if<std::string>(&built)) {
        return *why;
    }
    auto& network = std::get<NetworkMap>(built);
    CostTable routing(network.pids().size());
    if (costs != nullptr) {
        if (auto why = read_costs(*costs, network, routing)) {
            return *why;
        }
    }
    std::string vtag = vtag_of(network);
    return AltoMaps{std::move(resource_id), std::move(network), std::move(routing),
                    std::move(vtag)};
}

}  // namespace p2pls::alto
