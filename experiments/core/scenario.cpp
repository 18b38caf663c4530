#include "experiments/core/scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <set>
#include <sstream>

#include "common/core/byte_rate.hpp"

namespace p2pls::experiments {

std::string_view to_string(Mode mode) {
    return mode == Mode::native ? "native" : "decade";
}

std::string_view to_string(Arrival arrival) {
    switch (arrival) {
        case Arrival::flash_crowd:
            return "flash-crowd";
        case Arrival::poisson:
            return "poisson";
        case Arrival::all_at_once:
            return "all-at-once";
    }
    return "?";
}

namespace {

// Thrown inside the parser only; parse_scenario turns it into a ParseError.
struct Invalid {
    std::string message;
};

[[noreturn]] void invalid(std::string message) {
    throw Invalid{std::move(message)};
}

void check_keys(const toml::table& table, std::string_view where,
                std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
        if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
            std::string list;
            for (const auto k : known) {
                list += list.empty() ? "" : ", ";
                list += k;
            }
            invalid(std::string(where) + ": unknown key \"" + std::string(key.str()) +
                    "\" (known: " + list + ")");
        }
    }
}

std::string path_of(std::string_view where, std::string_view key) {
    return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
}

double number(const toml::table& t, std::string_view where, std::string_view key, double fallback,
              double lo, double hi) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return fallback;
    }
    const auto v = node->value<double>();
    if (!node->is_number() || !v || !std::isfinite(*v) || *v < lo || *v > hi) {
        std::ostringstream out;
        out << path_of(where, key) << " must be a number in " << lo << ".." << hi;
        invalid(out.str());
    }
    return *v;
}

std::int64_t integer(const toml::table& t, std::string_view where, std::string_view key,
                     std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return fallback;
    }
    const auto v = node->value_exact<std::int64_t>();
    if (!v || *v < lo || *v > hi) {
        invalid(path_of(where, key) + " must be an integer in " + std::to_string(lo) + ".." +
                std::to_string(hi));
    }
    return *v;
}

std::string text(const toml::table& t, std::string_view where, std::string_view key,
                 std::string fallback) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return fallback;
    }
    const auto v = node->value_exact<std::string>();
    if (!v || v->size() > 4096) {
        invalid(path_of(where, key) + " must be a string");
    }
    return *v;
}

bool boolean(const toml::table& t, std::string_view where, std::string_view key, bool fallback) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return fallback;
    }
    const auto v = node->value_exact<bool>();
    if (!v) {
        invalid(path_of(where, key) + " must be true or false");
    }
    return *v;
}

// A rate: an integer (bytes/s) or a byte-rate string ("250k", "4Mbit").
std::uint64_t rate(const toml::table& t, std::string_view where, std::string_view key,
                   std::uint64_t fallback) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return fallback;
    }
    if (const auto i = node->value_exact<std::int64_t>(); i && *i >= 0) {
        return static_cast<std::uint64_t>(*i);
    }
    if (const auto s = node->value_exact<std::string>()) {
        if (const auto r = parse_byte_rate(*s)) {
            return *r;
        }
    }
    invalid(path_of(where, key) + " must be a rate: an integer (bytes/s) or a string in " +
            std::string(kByteRateHelp));
}

const toml::table* subtable(const toml::table& t, std::string_view where, std::string_view key) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return nullptr;
    }
    const auto* table = node->as_table();
    if (table == nullptr) {
        invalid(path_of(where, key) + " must be a table ([" + path_of(where, key) + "])");
    }
    return table;
}

template <class F>
void each_table(const toml::table& t, std::string_view where, std::string_view key, F&& f) {
    const auto* node = t.get(key);
    if (node == nullptr) {
        return;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
        invalid(path_of(where, key) + " must be an array of tables ([[" + path_of(where, key) +
                "]])");
    }
    if (array->size() > 1000) {
        invalid(path_of(where, key) + ": at most 1000 entries");
    }
    for (const auto& entry : *array) {
        const auto* table = entry.as_table();
        if (table == nullptr) {
            invalid(path_of(where, key) + ": every entry must be a table");
        }
        f(*table);
    }
}

Arrival arrival_of(const std::string& s) {
    if (s == "flash-crowd") {
        return Arrival::flash_crowd;
    }
    if (s == "poisson") {
        return Arrival::poisson;
    }
    if (s == "all-at-once") {
        return Arrival::all_at_once;
    }
    invalid("peers.arrival must be \"flash-crowd\", \"poisson\" or \"all-at-once\", not \"" + s +
            "\"");
}

constexpr std::string_view kSweepParameters[] = {"decade.object_chunks", "decade.slots",
                                                 "peers.count", "peers.upload",
                                                 "network.one_way_delay_ms"};

Scenario parse_tables(const toml::table& root) {
    check_keys(root, "scenario",
               {"name", "description", "seed", "duration_s", "modes", "stream", "source", "peers",
                "network", "decade", "sweep"});
    Scenario s;
    s.name = text(root, "", "name", "");
    s.description = text(root, "", "description", "");
    s.seed = static_cast<std::uint64_t>(integer(root, "", "seed", 1, 0, INT64_MAX));
    s.duration_s = number(root, "", "duration_s", 60, 1, 86'400);
    if (const auto* node = root.get("modes")) {
        const auto* array = node->as_array();
        if (array == nullptr || array->empty() || array->size() > 2) {
            invalid("modes must be a non-empty array: [\"native\"], [\"decade\"] or both");
        }
        s.modes.clear();
        for (const auto& m : *array) {
            const auto v = m.value_exact<std::string>();
            if (!v || (*v != "native" && *v != "decade")) {
                invalid("modes: each entry must be \"native\" or \"decade\"");
            }
            const Mode mode = *v == "native" ? Mode::native : Mode::decade;
            if (std::find(s.modes.begin(), s.modes.end(), mode) != s.modes.end()) {
                invalid("modes: \"" + *v + "\" is listed twice");
            }
            s.modes.push_back(mode);
        }
    }

    if (const auto* t = subtable(root, "", "stream")) {
        check_keys(*t, "stream", {"bitrate_kbps", "chunk_ms", "width", "height", "fps", "replay"});
        s.bitrate_kbps = static_cast<std::uint32_t>(
            integer(*t, "stream", "bitrate_kbps", s.bitrate_kbps, 16, 100'000));
        s.chunk_ms =
            static_cast<std::uint32_t>(integer(*t, "stream", "chunk_ms", s.chunk_ms, 100, 10'000));
        s.width = static_cast<std::uint32_t>(integer(*t, "stream", "width", s.width, 16, 7680));
        s.height = static_cast<std::uint32_t>(integer(*t, "stream", "height", s.height, 16, 4320));
        s.fps = static_cast<std::uint32_t>(integer(*t, "stream", "fps", s.fps, 1, 120));
        s.replay = text(*t, "stream", "replay", "");
    }
    if (const auto* t = subtable(root, "", "source")) {
        check_keys(*t, "source", {"upload", "region"});
        s.source_upload_bps = rate(*t, "source", "upload", 0);
        s.source_region = text(*t, "source", "region", "");
    }
    if (const auto* t = subtable(root, "", "peers")) {
        check_keys(*t, "peers",
                   {"count", "upload", "arrival", "flash_crowd_s", "poisson_rate_per_s", "churn",
                    "mass_leave"});
        s.peers = static_cast<std::uint32_t>(integer(*t, "peers", "count", s.peers, 1, 100'000));
        s.peer_upload_bps = rate(*t, "peers", "upload", 0);
        s.arrival = arrival_of(text(*t, "peers", "arrival", "flash-crowd"));
        s.flash_crowd_s = number(*t, "peers", "flash_crowd_s", s.flash_crowd_s, 0, 86'400);
        s.poisson_rate_per_s =
            number(*t, "peers", "poisson_rate_per_s", s.poisson_rate_per_s, 1e-6, 10'000);
        if (const auto* c = subtable(*t, "peers", "churn")) {
            check_keys(*c, "peers.churn",
                       {"fraction", "mean_online_s", "mean_offline_s", "graceful"});
            s.churn.fraction = number(*c, "peers.churn", "fraction", 0, 0, 1);
            s.churn.mean_online_s =
                number(*c, "peers.churn", "mean_online_s", s.churn.mean_online_s, 1, 86'400);
            s.churn.mean_offline_s =
                number(*c, "peers.churn", "mean_offline_s", s.churn.mean_offline_s, 0.1, 86'400);
            s.churn.graceful = boolean(*c, "peers.churn", "graceful", true);
        }
        if (const auto* m = subtable(*t, "peers", "mass_leave")) {
            check_keys(*m, "peers.mass_leave", {"fraction", "at_s", "rejoin_after_s", "graceful"});
            s.mass_leave.fraction = number(*m, "peers.mass_leave", "fraction", 0, 0, 1);
            s.mass_leave.at_s = number(*m, "peers.mass_leave", "at_s", 0, 0, 86'400);
            if (m->contains("rejoin_after_s")) {
                s.mass_leave.rejoin_after_s =
                    number(*m, "peers.mass_leave", "rejoin_after_s", 0, 0.1, 86'400);
            }
            s.mass_leave.graceful = boolean(*m, "peers.mass_leave", "graceful", true);
        }
    }
    if (const auto* t = subtable(root, "", "network")) {
        check_keys(*t, "network", {"one_way_delay_ms", "regions", "delays"});
        s.one_way_delay_ms = number(*t, "network", "one_way_delay_ms", 0, 0, 10'000);
        each_table(*t, "network", "regions", [&](const toml::table& r) {
            check_keys(r, "network.regions", {"name", "share", "one_way_delay_ms"});
            Region region;
            region.name = text(r, "network.regions", "name", "");
            region.share = number(r, "network.regions", "share", 1, 0, 1e9);
            region.one_way_delay_ms =
                number(r, "network.regions", "one_way_delay_ms", s.one_way_delay_ms, 0, 10'000);
            s.regions.push_back(std::move(region));
        });
        each_table(*t, "network", "delays", [&](const toml::table& d) {
            check_keys(d, "network.delays", {"between", "one_way_delay_ms"});
            const auto* between = d["between"].as_array();
            if (between == nullptr || between->size() != 2 || !(*between)[0].is_string() ||
                !(*between)[1].is_string()) {
                invalid(
                    "network.delays.between: expected two region names, e.g. "
                    "[\"us-east\", \"europe\"]");
            }
            RegionDelay delay;
            delay.a = *(*between)[0].value<std::string>();
            delay.b = *(*between)[1].value<std::string>();
            delay.one_way_delay_ms =
                number(d, "network.delays", "one_way_delay_ms", s.one_way_delay_ms, 0, 10'000);
            s.region_delays.push_back(std::move(delay));
        });
    }
    if (const auto* t = subtable(root, "", "decade")) {
        check_keys(*t, "decade",
                   {"object_chunks", "slots", "total_egress", "allow_unequal_supply", "servers"});
        s.object_chunks =
            static_cast<std::uint32_t>(integer(*t, "decade", "object_chunks", 1, 1, 1024));
        s.slots = static_cast<std::uint32_t>(integer(*t, "decade", "slots", 4, 1, 1024));
        s.decade_total_egress_bps = rate(*t, "decade", "total_egress", 0);
        s.allow_unequal_supply = boolean(*t, "decade", "allow_unequal_supply", false);
        each_table(*t, "decade", "servers", [&](const toml::table& r) {
            check_keys(r, "decade.servers", {"region", "egress"});
            DecadeServerSpec server;
            server.region = text(r, "decade.servers", "region", "");
            server.egress_bps = rate(r, "decade.servers", "egress", 0);
            s.decade_servers.push_back(std::move(server));
        });
    }
    if (const auto* t = subtable(root, "", "sweep")) {
        check_keys(*t, "sweep", {"parameter", "values"});
        s.sweep_parameter = text(*t, "sweep", "parameter", "");
        const auto* values = t->get_as<toml::array>("values");
        if (values == nullptr || values->empty() || values->size() > 64) {
            invalid("sweep.values must be an array of 1..64 numbers");
        }
        for (const auto& v : *values) {
            const auto d = v.value<double>();
            if (!v.is_number() || !d || !std::isfinite(*d) || *d < 0) {
                invalid("sweep.values must hold non-negative numbers");
            }
            s.sweep_values.push_back(*d);
        }
    }
    return s;
}

}  // namespace

Supply supply_of(const Scenario& scenario) {
    Supply supply;
    supply.native_peers_bps = scenario.peer_upload_bps * scenario.peers;
    for (std::size_t i = 0; i < scenario.decade_servers.size(); ++i) {
        supply.decade_servers_bps += server_egress_bps(scenario, i);
    }
    supply.source_bps = scenario.source_upload_bps;
    return supply;
}

std::uint64_t server_egress_bps(const Scenario& scenario, std::size_t i) {
    const auto& server = scenario.decade_servers.at(i);
    if (server.egress_bps != 0) {
        return server.egress_bps;
    }
    // Share of what the explicit servers leave of the total.
    const std::uint64_t total = scenario.decade_total_egress_bps != 0
                                    ? scenario.decade_total_egress_bps
                                    : scenario.peer_upload_bps * scenario.peers;
    std::uint64_t explicit_sum = 0;
    std::size_t implicit = 0;
    for (const auto& s : scenario.decade_servers) {
        explicit_sum += s.egress_bps;
        implicit += s.egress_bps == 0 ? 1 : 0;
    }
    const std::uint64_t rest = total > explicit_sum ? total - explicit_sum : 0;
    return rest / implicit;
}

std::optional<std::string> validate(const Scenario& s) {
    if (s.name.empty()) {
        return "name must be set (it names the output folder)";
    }
    if (s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
                                 ".") != std::string::npos ||
        s.name.front() == '.') {
        return "name may hold only letters, digits, '-', '_' and '.'";
    }
    if (s.peer_upload_bps == 0) {
        return "peers.upload (Bu, bytes/s) must be set and above 0: it is the per-peer cap in "
               "native mode and sets the DECADE servers' total egress (N x Bu)";
    }
    if (s.arrival == Arrival::flash_crowd && s.flash_crowd_s >= s.duration_s) {
        return "peers.flash_crowd_s must be shorter than duration_s";
    }
    if (s.mass_leave.fraction > 0 && s.mass_leave.at_s >= s.duration_s) {
        return "peers.mass_leave.at_s must be shorter than duration_s";
    }
    if (s.regions.size() > kMaxRegions) {
        return "network.regions: at most " + std::to_string(kMaxRegions) + " regions";
    }
    std::set<std::string> region_names;
    for (const auto& r : s.regions) {
        if (r.name.empty()) {
            return "network.regions: every region needs a name";
        }
        if (!region_names.insert(r.name).second) {
            return "network.regions: region \"" + r.name + "\" is listed twice";
        }
    }
    double share_sum = 0;
    for (const auto& r : s.regions) {
        share_sum += r.share;
    }
    if (!s.regions.empty() && share_sum <= 0) {
        return "network.regions: the shares must not all be 0";
    }
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& d : s.region_delays) {
        for (const std::string& name : {d.a, d.b}) {
            if (region_names.count(name) == 0) {
                return "network.delays: region \"" + name + "\" is not among network.regions";
            }
        }
        if (d.a == d.b) {
            return "network.delays: \"" + d.a +
                   "\" with itself is the region's own one_way_delay_ms";
        }
        if (!pairs.insert(std::minmax(d.a, d.b)).second) {
            return "network.delays: " + d.a + " - " + d.b + " is listed twice";
        }
    }
    if (!s.source_region.empty() && region_names.count(s.source_region) == 0 &&
        !(s.regions.empty() && s.source_region == "default")) {
        return "source.region: \"" + s.source_region + "\" is not among network.regions";
    }
    const bool has_decade =
        std::find(s.modes.begin(), s.modes.end(), Mode::decade) != s.modes.end();
    if (has_decade && s.decade_servers.empty()) {
        return "modes includes \"decade\" but no [[decade.servers]] is given";
    }
    for (const auto& server : s.decade_servers) {
        if (s.regions.empty()) {
            if (!server.region.empty() && server.region != "default") {
                return "decade.servers: region \"" + server.region +
                       "\" is not among network.regions (none are given: use \"default\" or "
                       "leave it out)";
            }
        } else if (region_names.count(server.region) == 0) {
            return "decade.servers: region \"" + server.region + "\" is not among network.regions";
        }
    }
    if (has_decade) {
        for (const auto& r : s.regions) {
            const bool served = std::any_of(s.decade_servers.begin(), s.decade_servers.end(),
                                            [&](const auto& d) { return d.region == r.name; });
            if (!served && r.share > 0) {
                return "network.regions: region \"" + r.name +
                       "\" has peers but no DECADE server (every peer needs a nearest server)";
            }
        }
        const Supply supply = supply_of(s);
        std::uint64_t explicit_sum = 0;
        for (const auto& d : s.decade_servers) {
            explicit_sum += d.egress_bps;
        }
        const std::uint64_t total =
            s.decade_total_egress_bps != 0 ? s.decade_total_egress_bps : supply.native_peers_bps;
        if (explicit_sum > total && !s.allow_unequal_supply) {
            return "decade.servers: the servers' egress adds up to more than the total (" +
                   std::to_string(explicit_sum) + " > " + std::to_string(total) + " bytes/s)";
        }
        for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
            if (server_egress_bps(s, i) == 0) {
                return "decade.servers: server " + std::to_string(i) + " would get 0 bytes/s";
            }
        }
        // The draft's §8.1.2: both modes get the same supply (N x Bu).
        const auto diff = supply.decade_servers_bps > supply.native_peers_bps
                              ? supply.decade_servers_bps - supply.native_peers_bps
                              : supply.native_peers_bps - supply.decade_servers_bps;
        if (diff > s.decade_servers.size() && !s.allow_unequal_supply) {
            return "unequal supply: DECADE servers total " +
                   std::to_string(supply.decade_servers_bps) +
                   " bytes/s but N x Bu = " + std::to_string(supply.native_peers_bps) +
                   " bytes/s (the draft's fair comparison; set decade.allow_unequal_supply = "
                   "true to run it anyway)";
        }
    }
    if (!s.sweep_parameter.empty()) {
        if (std::find(std::begin(kSweepParameters), std::end(kSweepParameters),
                      s.sweep_parameter) == std::end(kSweepParameters)) {
            return "sweep.parameter \"" + s.sweep_parameter +
                   "\" is not one of decade.object_chunks, decade.slots, peers.count, "
                   "peers.upload, network.one_way_delay_ms";
        }
        for (const double v : s.sweep_values) {
            const Scenario swept = with_sweep_value(s, v);
            if (s.sweep_parameter != "network.one_way_delay_ms" && v != std::floor(v)) {
                return "sweep.values: " + s.sweep_parameter + " takes whole numbers";
            }
            if ((s.sweep_parameter == "decade.object_chunks" &&
                 (swept.object_chunks < 1 || v > 1024)) ||
                (s.sweep_parameter == "decade.slots" && (swept.slots < 1 || v > 1024)) ||
                (s.sweep_parameter == "peers.count" && (swept.peers < 1 || v > 100'000)) ||
                (s.sweep_parameter == "peers.upload" && swept.peer_upload_bps == 0) ||
                (s.sweep_parameter == "network.one_way_delay_ms" && v > 10'000)) {
                return "sweep.values: a value out of range for " + s.sweep_parameter;
            }
        }
    } else if (!s.sweep_values.empty()) {
        return "sweep.values given without sweep.parameter";
    }
    return std::nullopt;
}

Scenario with_sweep_value(const Scenario& scenario, double value) {
    Scenario s = scenario;
    const auto whole = static_cast<std::uint64_t>(std::llround(std::min(value, 1e12)));
    if (s.sweep_parameter == "decade.object_chunks") {
        s.object_chunks = static_cast<std::uint32_t>(std::min<std::uint64_t>(whole, 1u << 20));
    } else if (s.sweep_parameter == "decade.slots") {
        s.slots = static_cast<std::uint32_t>(std::min<std::uint64_t>(whole, 1u << 20));
    } else if (s.sweep_parameter == "peers.count") {
        s.peers = static_cast<std::uint32_t>(std::min<std::uint64_t>(whole, 1u << 20));
    } else if (s.sweep_parameter == "peers.upload") {
        s.peer_upload_bps = whole;
    } else if (s.sweep_parameter == "network.one_way_delay_ms") {
        s.one_way_delay_ms = value;
        for (auto& r : s.regions) {
            r.one_way_delay_ms = value;
        }
        for (auto& d : s.region_delays) {
            d.one_way_delay_ms = value;
        }
    }
    s.sweep_parameter.clear();
    s.sweep_values.clear();
    return s;
}

double path_delay_ms(const Scenario& s, std::size_t a, std::size_t b) {
    if (a >= s.regions.size() || b >= s.regions.size()) {
        return s.one_way_delay_ms;  // no regions: one "default" region of that delay
    }
    if (a == b) {
        return s.regions[a].one_way_delay_ms;
    }
    for (const auto& d : s.region_delays) {
        if ((d.a == s.regions[a].name && d.b == s.regions[b].name) ||
            (d.a == s.regions[b].name && d.b == s.regions[a].name)) {
            return d.one_way_delay_ms;
        }
    }
    return s.one_way_delay_ms;
}

namespace {
std::size_t region_index(const Scenario& s, const std::string& name) {
    for (std::size_t i = 0; i < s.regions.size(); ++i) {
        if (s.regions[i].name == name) {
            return i;
        }
    }
    return 0;
}
}  // namespace

std::size_t source_region_index(const Scenario& s) {
    return region_index(s, s.source_region);
}

std::size_t server_region_index(const Scenario& s, std::size_t server) {
    return server < s.decade_servers.size() ? region_index(s, s.decade_servers[server].region) : 0;
}

std::size_t source_server_index(const Scenario& s) {
    for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
        if (server_region_index(s, i) == source_region_index(s)) {
            return i;
        }
    }
    return 0;
}

std::variant<Scenario, ParseError> parse_scenario(std::string_view toml_text,
                                                  std::string_view origin) {
    if (toml_text.size() > 1'000'000) {
        return ParseError{std::string(origin) + ": larger than 1 MB"};
    }
    try {
        const toml::table root = toml::parse(toml_text, origin);
        Scenario s = parse_tables(root);
        if (auto problem = validate(s)) {
            return ParseError{std::string(origin) + ": " + *problem};
        }
        return s;
    } catch (const toml::parse_error& e) {
        std::ostringstream out;
        out << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
            << e.description();
        return ParseError{out.str()};
    } catch (const Invalid& e) {
        return ParseError{std::string(origin) + ": " + e.message};
    }
}

}  // namespace p2pls::experiments
