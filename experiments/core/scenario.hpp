// The testbed's scenario model (DESIGN.md §6): what a run starts, how peers arrive and
// leave, how much supply each mode gets, and what is compared. Parsed from TOML text
// (the adapter reads the file); every value is validated with a message that names the
// key, so a typo never runs a wrong experiment silently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace p2pls::experiments {

enum class Mode { native, decade };
std::string_view to_string(Mode mode);

enum class Arrival {
    flash_crowd,  // every peer starts within [0, flash_crowd_s), uniformly at random
    poisson,      // exponential inter-arrival times at poisson_rate_per_s
    all_at_once,  // every peer at t = 0
};
std::string_view to_string(Arrival arrival);

// Leave/rejoin churn: a churning peer stays online for an exponential time (mean
// mean_online_s), goes offline for an exponential time (mean mean_offline_s), rejoins
// as a new session, and so on until the end of the run.
struct Churn {
    double fraction = 0.0;  // share of peers that churn, 0..1 (0 = no churn)
    double mean_online_s = 30.0;
    double mean_offline_s = 10.0;
    bool graceful = true;  // leave with SIGTERM (Bye, tracker "stopped") or SIGKILL
};

// A mass departure: at at_s, each online peer leaves with probability `fraction` (a
// network partition, a crash of a popular client, the end of a show). With rejoin_after_s
// those peers come back that much later as new sessions, and stay; without, they stay away.
struct MassLeave {
    double fraction = 0.0;  // 0..1 (0 = none)
    double at_s = 0.0;
    std::optional<double> rejoin_after_s;
    bool graceful = true;  // SIGTERM or SIGKILL
};

// A region: the peers assigned to it are nearest the DECADE servers in it.
struct Region {
    std::string name;
    double share = 1.0;           // relative share of the peers (weights, need not sum to 1)
    double one_way_delay_ms = 0;  // between two nodes of the region (peers, servers, source)
};

// The one-way delay between nodes of two different regions, either way round. A pair not
// listed gets network.one_way_delay_ms.
// At most this many regions: the loopback lab gives each a /16 of 127/8.
inline constexpr std::size_t kMaxRegions = 200;

struct RegionDelay {
    std::string a;
    std::string b;
    double one_way_delay_ms = 0;
};

struct DecadeServerSpec {
    std::string region;
    // Egress cap in bytes/s; 0 = an equal share of decade.total_egress_bps.
    std::uint64_t egress_bps = 0;
};

struct Scenario {
    std::string name;
    std::string description;
    std::uint64_t seed = 1;
    double duration_s = 60;
    std::vector<Mode> modes{Mode::native, Mode::decade};

    // Stream
    std::uint32_t bitrate_kbps = 500;
    std::uint32_t chunk_ms = 1000;
    std::uint32_t width = 320;
    std::uint32_t height = 240;
    std::uint32_t fps = 25;
    std::string replay;  // pre-encoded MPEG-TS to replay; empty = the testbed's clip

    // Source capacity, bytes/s (same in both modes); 0 = unlimited.
    std::uint64_t source_upload_bps = 0;
    std::string source_region;  // where the source sits; empty = the first region

    // Peers
    std::uint32_t peers = 20;
    std::uint64_t peer_upload_bps = 0;  // Bu: native per-peer upload cap, bytes/s (> 0)
    Arrival arrival = Arrival::flash_crowd;
    double flash_crowd_s = 10;
    double poisson_rate_per_s = 1.0;
    Churn churn;
    MassLeave mass_leave;

    // Network (user-space delay, see docs/testbed.md): the one-way delay between regions
    // that region_delays does not list, and the region's own delay where it gives none, ms.
    double one_way_delay_ms = 0;
    std::vector<Region> regions;  // empty: one region "default" holding every node
    std::vector<RegionDelay> region_delays;

    // DECADE
    std::uint32_t object_chunks = 1;  // k
    std::uint32_t slots = 4;          // m
    std::vector<DecadeServerSpec> decade_servers;
    // Total DECADE egress, bytes/s; 0 = N × Bu (the draft's §8.1.2 equal supply).
    std::uint64_t decade_total_egress_bps = 0;
    bool allow_unequal_supply = false;

    // Sweep: one parameter over several values (each value is a separate run).
    std::string sweep_parameter;  // "" | decade.object_chunks | decade.slots | peers.count
                                  // | peers.upload_bps | network.one_way_delay_ms
    std::vector<double> sweep_values;
};

// Supply totals of one scenario, bytes/s (the summary prints both).
struct Supply {
    std::uint64_t native_peers_bps = 0;    // N × Bu
    std::uint64_t decade_servers_bps = 0;  // sum of the servers' egress
    std::uint64_t source_bps = 0;
};
Supply supply_of(const Scenario& scenario);

// Egress of server i, bytes/s (its own or its share of the total).
std::uint64_t server_egress_bps(const Scenario& scenario, std::size_t i);

struct ParseError {
    std::string message;
};

// Parses and validates a scenario from TOML text. `origin` names the text in messages.
std::variant<Scenario, ParseError> parse_scenario(std::string_view toml_text,
                                                  std::string_view origin = "scenario");

// Checks the cross-field rules (also run by parse_scenario); nullopt when valid.
std::optional<std::string> validate(const Scenario& scenario);

// Applies one sweep value to a copy of the scenario.
Scenario with_sweep_value(const Scenario& scenario, double value);

// The delay matrix: one-way delay in ms between a node of region `a` and one of region
// `b` (indices into regions; with no regions, index 0 is "default").
double path_delay_ms(const Scenario& scenario, std::size_t a, std::size_t b);
// The region index of the source and of DECADE server `server`.
std::size_t source_region_index(const Scenario& scenario);
std::size_t server_region_index(const Scenario& scenario, std::size_t server);
// The DECADE server the source stores into: the first of its region (else server 0).
std::size_t source_server_index(const Scenario& scenario);

}  // namespace p2pls::experiments
