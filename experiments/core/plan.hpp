// The process plan of one run: the command line of every process the testbed starts
// (tracker, DECADE servers, source, peers), built from the scenario and from what the
// executables of this build support (read from their --help). Pure: paths and URLs come
// in as strings; the process adapter starts what this describes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/core/scenario.hpp"

namespace p2pls::experiments {

// The unit a rate flag takes, read from its --help description.
enum class RateUnit { bytes_per_s, kbit_per_s, bit_per_s };

// `bytes_per_s` as the text for a flag in `unit` (rounded to whole units, at least 1
// when the rate is not 0).
std::string rate_arg(std::uint64_t bytes_per_s, RateUnit unit);

// What this build's executables can do, detected from their --help text.
struct Capabilities {
    bool peer_present = false;
    bool peer_decade_mode = false;   // p2pls-peer --mode with "decade"
    bool peer_upload_limit = false;  // --upload-limit
    RateUnit peer_upload_unit = RateUnit::bytes_per_s;
    bool peer_id = false;             // --peer-id
    bool peer_report = false;         // --report FILE
    bool peer_decade_server = false;  // --decade-server URL (else the tracker assigns)
    bool peer_region = false;         // --region NAME
    std::string peer_delay_flag;      // e.g. "--delay-ms"; empty: no delay injection
    bool peer_link_delay = false;     // --link-delay CIDR=MS (a delay per region)
    bool peer_trace = false;          // --trace FILE (chunk traces)
    std::string peer_object_flag;     // k, e.g. "--object-chunks"; empty: the peer's default
    std::string peer_slots_flag;      // m, e.g. "--slots"; empty: the peer's default
    // --decade-local-address: its own source address towards DECADE servers, so that the
    // servers' per-client slot cap (m) applies per peer, not to all of 127.0.0.1.
    bool peer_decade_local_address = false;
    bool source_present = false;
    bool source_replay = false;        // --replay FILE
    bool source_loop = false;          // --loop
    bool source_upload_limit = false;  // --upload-limit
    RateUnit source_upload_unit = RateUnit::bytes_per_s;
    bool source_port_file = false;      // --port-file
    bool source_decade_mode = false;    // --mode decade (puts objects, advertises range tokens)
    bool source_decade_server = false;  // --decade-server URL
    std::string source_delay_flag;      // e.g. "--delay-ms"; empty: no delay injection
    bool source_link_delay = false;     // --link-delay
    std::string source_object_flag;     // k
    std::string source_slots_flag;      // m
    bool source_decade_local_address = false;
    bool decade_server_present = false;
    bool decade_server_egress = false;  // --egress-bps
    RateUnit decade_egress_unit = RateUnit::bit_per_s;
    bool decade_server_slots = false;   // --slots
    bool decade_server_region = false;  // --region
    bool decade_server_dev_open = false;
    bool decade_server_allow_any_peer = false;
    bool decade_server_port_file = false;
    bool decade_server_local_address = false;  // --local-address (of its Remote Get fetches)
    std::string decade_server_delay_flag;      // --delay-ms
    bool decade_server_link_delay = false;     // --link-delay
    bool decade_server_threads = false;        // --threads
    bool tracker_present = false;
};

// Fills the capabilities from --help texts (empty text: the executable is missing).
Capabilities detect_capabilities(std::string_view tracker_help, std::string_view source_help,
                                 std::string_view peer_help, std::string_view decade_help);

// Why `mode` cannot run with these capabilities (nullopt: it can).
std::optional<std::string> mode_unavailable(Mode mode, const Capabilities& caps);

struct ProcessSpec {
    std::string name;               // "tracker", "decade-0", "source", "peer-007.s0"
    std::vector<std::string> argv;  // argv[0] is the executable's path
    std::string log;                // stdout+stderr file
};

// Paths of one run's output folder (the adapter creates them).
struct RunPaths {
    std::string bin_dir;  // where p2pls-* live
    std::string run_dir;  // <out>/<run slug>
    std::string clip;     // the MPEG-TS to replay; empty: live test pattern
    // Address the tracker, source and DECADE servers listen on (the bridge's address
    // with --netns).
    std::string service_host = "127.0.0.1";
    // --tls: the CA (PEM) every client verifies against, and the certificate and key the
    // tracker and DECADE servers serve HTTPS with. Empty: plain HTTP.
    std::string tls_ca{};
    std::string tls_cert{};
    std::string tls_key{};
    // --trace: every peer writes its chunk traces to peer_trace_file().
    bool trace = false;
};

// "https://" with --tls, else "http://": the scheme of the tracker and DECADE server URLs.
std::string service_scheme(const RunPaths& paths);

// --netns: the peer runs inside network namespace `ns` (through `ip netns exec`) and
// listens on `address` there.
void place_in_namespace(ProcessSpec& spec, const std::string& ns, const std::string& address);

std::string tracker_port_file(const RunPaths& paths);
std::string decade_port_file(const RunPaths& paths, std::size_t server);
std::string peer_report_file(const RunPaths& paths, std::uint32_t peer, std::uint32_t session);
std::string peer_trace_file(const RunPaths& paths, std::uint32_t peer, std::uint32_t session);

ProcessSpec tracker_spec(const Scenario& s, const RunPaths& paths, const Capabilities& caps,
                         const std::string& config_file);
// The tracker's TOML config listing the DECADE servers (url, region) so that it can
// assign each DECADE peer its nearest one.
std::string tracker_config(const Scenario& s, const std::vector<std::string>& server_urls);
ProcessSpec decade_server_spec(const Scenario& s, const RunPaths& paths, const Capabilities& caps,
                               std::size_t server);
// In DECADE mode the source stores into a locker on `decade_url` when it can (else it
// serves natively, as the draft's source did, §7.2.4). Its links get the scenario's
// default one-way delay (network.one_way_delay_ms) when it has a delay flag.
ProcessSpec source_spec(const Scenario& s, Mode mode, const RunPaths& paths,
                        const Capabilities& caps, const std::string& tracker_url,
                        const std::string& decade_url = "");
// Peer `peer`, session `session`, in region index `region`. `decade_url` is its nearest
// server (DECADE mode).
ProcessSpec peer_spec(const Scenario& s, Mode mode, const RunPaths& paths, const Capabilities& caps,
                      const std::string& tracker_url, std::uint32_t peer, std::uint32_t session,
                      std::size_t region, const std::string& decade_url);

// gst-launch-1.0 command line that encodes `seconds` of test pattern at the scenario's
// stream settings (key frame every chunk) into the MPEG-TS `file`, for --replay: the
// source then needs no encoder, which matters on a small machine.
std::vector<std::string> clip_command(const Scenario& s, double seconds, const std::string& file);

// The loopback lab (every run without --netns): each region is a /16 of 127/8,
// 127.(16 + region).0.0/16, and every node of the region listens on and connects from an
// address of its own in it: DECADE server i at .0.(1 + i), the source at .0.254, peer p at
// .(1 + p / 250).(1 + p % 250). A node's --link-delay rules name each region's block, so
// what it holds back follows the scenario's delay matrix; a distinct address per peer
// also makes each peer its own client to the servers' per-client slot cap. The tracker
// stays on 127.0.0.1 and is not delayed.
bool loopback_lab(const RunPaths& paths);
std::string region_block(std::size_t region);
std::string peer_address(std::size_t region, std::uint32_t peer);
std::string source_address(const Scenario& s);
std::string server_address(const Scenario& s, std::size_t server);
// Where DECADE server `server` listens: its region address in the loopback lab, else the
// service host.
std::string server_host(const Scenario& s, const RunPaths& paths, std::size_t server);
// Every address a server certificate must name (--tls): the service host and the servers'.
std::vector<std::string> service_addresses(const Scenario& s, const RunPaths& paths);

// The channel every run uses.
inline constexpr std::string_view kChannel = "testbed";

}  // namespace p2pls::experiments
