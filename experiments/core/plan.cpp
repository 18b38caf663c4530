#include "experiments/core/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>

#include "experiments/core/summary.hpp"

namespace p2pls::experiments {

namespace {

// True when `help` documents `flag` (followed by a space, '=', ',' or end of line, so
// that "--mode" does not match "--model").
bool has_flag(std::string_view help, std::string_view flag) {
    std::size_t pos = 0;
    while ((pos = help.find(flag, pos)) != std::string_view::npos) {
        const std::size_t end = pos + flag.size();
        if (end == help.size() || help[end] == ' ' || help[end] == '=' || help[end] == ',' ||
            help[end] == '\n' || help[end] == '\t') {
            return true;
        }
        pos = end;
    }
    return false;
}

// The help text from `flag` to the next flag (its description, possibly wrapped).
std::string_view flag_text(std::string_view help, std::string_view flag) {
    const std::size_t pos = help.find(flag);
    if (pos == std::string_view::npos) {
        return {};
    }
    std::size_t next = help.find("\n  -", pos + flag.size());
    if (next == std::string_view::npos) {
        next = help.size();
    }
    return help.substr(pos, next - pos);
}

// A delay flag's value: whole ms (the executables take an integer), clamped to 0..10000.
long long delay_arg(double ms) {
    return std::clamp(std::llround(ms), 0LL, 10'000LL);
}

// The delay flags of a node in region `from`: the default one-way delay (towards anything
// outside the lab's region blocks) and, in the loopback lab, one rule per region.
void add_delays(std::vector<std::string>& argv, const Scenario& s, const RunPaths& paths,
                std::size_t from, const std::string& delay_flag, bool link_delay) {
    const bool rules = link_delay && loopback_lab(paths);
    // Without per-region rules (--netns, or an older build) a node delays everything by
    // its own region's delay.
    const double fallback = rules ? s.one_way_delay_ms : path_delay_ms(s, from, from);
    if (!delay_flag.empty() && delay_arg(fallback) > 0) {
        argv.insert(argv.end(), {delay_flag, std::to_string(delay_arg(fallback))});
    }
    if (!rules) {
        return;
    }
    const std::size_t regions = std::max<std::size_t>(s.regions.size(), 1);
    for (std::size_t to = 0; to < regions; ++to) {
        argv.insert(argv.end(),
                    {"--link-delay", region_block(to) + "=" +
                                         std::to_string(delay_arg(path_delay_ms(s, from, to)))});
    }
}

std::string join(const std::string& dir, const std::string& name) {
    if (dir.empty()) {
        return name;
    }
    return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string peer_name(std::uint32_t peer, std::uint32_t session) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "peer-%03u.s%u", peer, session);
    return buf;
}

// A --mode flag that offers "decade" and does not call it unsupported.
bool decade_mode_in(std::string_view help) {
    const std::string_view mode = flag_text(help, "--mode");
    return has_flag(help, "--mode") && mode.find("decade") != std::string_view::npos &&
           mode.find("not yet supported") == std::string_view::npos &&
           mode.find("not supported") == std::string_view::npos;
}

std::string first_flag(std::string_view help, std::initializer_list<const char*> flags) {
    for (const char* flag : flags) {
        if (has_flag(help, flag)) {
            return flag;
        }
    }
    return {};
}

RateUnit unit_of(std::string_view description, RateUnit fallback) {
    if (description.find("kbit/s") != std::string_view::npos ||
        description.find("kbps") != std::string_view::npos) {
        return RateUnit::kbit_per_s;
    }
    if (description.find("bits per second") != std::string_view::npos ||
        description.find("bit/s") != std::string_view::npos) {
        return RateUnit::bit_per_s;
    }
    if (description.find("bytes/s") != std::string_view::npos ||
        description.find("bytes per second") != std::string_view::npos) {
        return RateUnit::bytes_per_s;
    }
    return fallback;
}

}  // namespace

std::string rate_arg(std::uint64_t bytes_per_s, RateUnit unit) {
    std::uint64_t value = bytes_per_s;
    switch (unit) {
        case RateUnit::bytes_per_s:
            break;
        case RateUnit::kbit_per_s:
            value = (bytes_per_s * 8 + 500) / 1000;
            break;
        case RateUnit::bit_per_s:
            value = bytes_per_s * 8;
            break;
    }
    if (value == 0 && bytes_per_s != 0) {
        value = 1;
    }
    return std::to_string(value);
}

Capabilities detect_capabilities(std::string_view tracker_help, std::string_view source_help,
                                 std::string_view peer_help, std::string_view decade_help) {
    Capabilities c;
    c.tracker_present = !tracker_help.empty();
    c.peer_present = !peer_help.empty();
    if (c.peer_present) {
        c.peer_decade_mode = decade_mode_in(peer_help);
        c.peer_upload_limit = has_flag(peer_help, "--upload-limit");
        c.peer_upload_unit = unit_of(flag_text(peer_help, "--upload-limit"), RateUnit::bytes_per_s);
        c.peer_id = has_flag(peer_help, "--peer-id");
        c.peer_report = has_flag(peer_help, "--report");
        c.peer_decade_server = has_flag(peer_help, "--decade-server");
        c.peer_region = has_flag(peer_help, "--region");
        c.peer_delay_flag =
            first_flag(peer_help, {"--delay-ms", "--link-delay-ms", "--one-way-delay-ms"});
        c.peer_object_flag = first_flag(peer_help, {"--object-chunks", "--decade-object-chunks"});
        c.peer_slots_flag = first_flag(peer_help, {"--decade-slots", "--slots"});
        c.peer_decade_local_address = has_flag(peer_help, "--decade-local-address");
        c.peer_link_delay = has_flag(peer_help, "--link-delay");
        c.peer_trace = has_flag(peer_help, "--trace");
    }
    c.source_present = !source_help.empty();
    if (c.source_present) {
        c.source_replay = has_flag(source_help, "--replay");
        c.source_loop = has_flag(source_help, "--loop");
        c.source_upload_limit = has_flag(source_help, "--upload-limit");
        c.source_upload_unit =
            unit_of(flag_text(source_help, "--upload-limit"), RateUnit::bytes_per_s);
        c.source_port_file = has_flag(source_help, "--port-file");
        c.source_decade_mode = decade_mode_in(source_help);
        c.source_decade_server = has_flag(source_help, "--decade-server");
        c.source_delay_flag =
            first_flag(source_help, {"--delay-ms", "--link-delay-ms", "--one-way-delay-ms"});
        c.source_object_flag =
            first_flag(source_help, {"--object-chunks", "--decade-object-chunks"});
        c.source_slots_flag = first_flag(source_help, {"--decade-slots", "--slots"});
        c.source_decade_local_address = has_flag(source_help, "--decade-local-address");
        c.source_link_delay = has_flag(source_help, "--link-delay");
    }
    c.decade_server_present = !decade_help.empty();
    if (c.decade_server_present) {
        c.decade_server_egress = has_flag(decade_help, "--egress-bps");
        c.decade_egress_unit = unit_of(flag_text(decade_help, "--egress-bps"), RateUnit::bit_per_s);
        c.decade_server_slots = has_flag(decade_help, "--slots");
        c.decade_server_region = has_flag(decade_help, "--region");
        c.decade_server_dev_open = has_flag(decade_help, "--dev-open");
        c.decade_server_allow_any_peer = has_flag(decade_help, "--allow-any-peer");
        c.decade_server_port_file = has_flag(decade_help, "--port-file");
        c.decade_server_local_address = has_flag(decade_help, "--local-address");
        c.decade_server_delay_flag = first_flag(decade_help, {"--delay-ms"});
        c.decade_server_link_delay = has_flag(decade_help, "--link-delay");
        c.decade_server_threads = has_flag(decade_help, "--threads");
    }
    return c;
}

std::optional<std::string> mode_unavailable(Mode mode, const Capabilities& caps) {
    if (!caps.tracker_present) {
        return "p2pls-tracker is not built";
    }
    if (!caps.source_present) {
        return "p2pls-source is not built";
    }
    if (!caps.peer_present) {
        return "p2pls-peer is not built";
    }
    if (!caps.peer_report) {
        return "p2pls-peer has no --report flag, so it cannot report QoE";
    }
    if (mode == Mode::native) {
        if (!caps.peer_upload_limit) {
            return "p2pls-peer has no --upload-limit flag (Bu cannot be applied)";
        }
        return std::nullopt;
    }
    if (!caps.peer_decade_mode) {
        return "p2pls-peer has no DECADE mode (no --mode decade in its --help)";
    }
    if (!caps.decade_server_present) {
        return "decade-server is not built";
    }
    if (!caps.decade_server_port_file) {
        return "decade-server has no --port-file flag";
    }
    if (!caps.decade_server_egress) {
        return "decade-server has no --egress-bps flag (N x Bu cannot be applied)";
    }
    return std::nullopt;
}

std::string tracker_port_file(const RunPaths& paths) {
    return join(paths.run_dir, "tracker.port");
}

std::string decade_port_file(const RunPaths& paths, std::size_t server) {
    return join(paths.run_dir, "decade-" + std::to_string(server) + ".port");
}

std::string peer_report_file(const RunPaths& paths, std::uint32_t peer, std::uint32_t session) {
    return join(join(paths.run_dir, "reports"), peer_name(peer, session) + ".jsonl");
}

std::string peer_trace_file(const RunPaths& paths, std::uint32_t peer, std::uint32_t session) {
    return join(join(paths.run_dir, "traces"), peer_name(peer, session) + ".jsonl");
}

std::string service_scheme(const RunPaths& paths) {
    return paths.tls_cert.empty() ? "http://" : "https://";
}

namespace {

// A server's certificate flags with --tls; nothing without.
void add_server_tls(const RunPaths& paths, std::vector<std::string>& argv) {
    if (!paths.tls_cert.empty()) {
        argv.insert(argv.end(), {"--tls-cert", paths.tls_cert, "--tls-key", paths.tls_key});
    }
}

// The CA a client verifies servers against with --tls; nothing without.
void add_client_tls(const RunPaths& paths, std::vector<std::string>& argv) {
    if (!paths.tls_ca.empty()) {
        argv.insert(argv.end(), {"--ca-file", paths.tls_ca});
    }
}

}  // namespace

ProcessSpec tracker_spec(const Scenario& s, const RunPaths& paths, const Capabilities&,
                         const std::string& config_file) {
    ProcessSpec p;
    p.name = "tracker";
    p.log = join(join(paths.run_dir, "logs"), "tracker.log");
    p.argv = {join(paths.bin_dir, "p2pls-tracker"),
              "--listen",
              paths.service_host + ":0",
              "--port-file",
              tracker_port_file(paths),
              "--interval",
              "2",
              "--seed",
              std::to_string(s.seed == 0 ? 1 : s.seed)};
    if (!config_file.empty()) {
        p.argv.insert(p.argv.end(), {"--config", config_file});
    }
    add_server_tls(paths, p.argv);
    return p;
}

std::string tracker_config(const Scenario& s, const std::vector<std::string>& server_urls) {
    std::string out = "# written by p2pls-testbed\n";
    for (std::size_t i = 0; i < server_urls.size() && i < s.decade_servers.size(); ++i) {
        const std::string region =
            s.decade_servers[i].region.empty() ? "default" : s.decade_servers[i].region;
        out +=
            "\n[[decade_servers]]\nurl = \"" + server_urls[i] + "\"\nregion = \"" + region + "\"\n";
    }
    return out;
}

ProcessSpec decade_server_spec(const Scenario& s, const RunPaths& paths, const Capabilities& caps,
                               std::size_t server) {
    ProcessSpec p;
    p.name = "decade-" + std::to_string(server);
    p.log = join(join(paths.run_dir, "logs"), p.name + ".log");
    p.argv = {join(paths.bin_dir, "decade-server"), "--listen",
              server_host(s, paths, server) + ":0"};
    if (caps.decade_server_local_address && loopback_lab(paths)) {
        p.argv.insert(p.argv.end(), {"--local-address", server_address(s, server)});
    }
    // Remote Gets from the other servers cross the matrix like everything else.
    add_delays(p.argv, s, paths, server_region_index(s, server), caps.decade_server_delay_flag,
               caps.decade_server_link_delay);
    if (caps.decade_server_port_file) {
        p.argv.insert(p.argv.end(), {"--port-file", decade_port_file(paths, server)});
    }
    if (caps.decade_server_egress) {
        // The scenario is in bytes/s; decade-server says its unit in --help (bits/s).
        p.argv.insert(p.argv.end(), {"--egress-bps", rate_arg(server_egress_bps(s, server),
                                                              caps.decade_egress_unit)});
    }
    if (caps.decade_server_slots) {
        p.argv.insert(p.argv.end(), {"--slots", std::to_string(s.slots)});
    }
    if (caps.decade_server_threads) {
        // A swarm's servers share the machine with its peers, and each carries a few
        // Mbit/s: one event loop each, not one per core each.
        p.argv.insert(p.argv.end(), {"--threads", "1"});
    }
    if (caps.decade_server_region) {
        const auto& region = s.decade_servers.at(server).region;
        p.argv.insert(p.argv.end(), {"--region", region.empty() ? "default" : region});
    }
    // The testbed's own peers register lockers freely: a closed lab deployment.
    if (caps.decade_server_dev_open) {
        p.argv.emplace_back("--dev-open");
    }
    if (caps.decade_server_allow_any_peer) {
        p.argv.emplace_back("--allow-any-peer");
    }
    add_server_tls(paths, p.argv);
    add_client_tls(paths, p.argv);
    return p;
}

ProcessSpec source_spec(const Scenario& s, Mode mode, const RunPaths& paths,
                        const Capabilities& caps, const std::string& tracker_url,
                        const std::string& decade_url) {
    ProcessSpec p;
    p.name = "source";
    p.log = join(join(paths.run_dir, "logs"), "source.log");
    // The draft's §7.2.4: one native source serves both kinds of client.
    p.argv = {join(paths.bin_dir, "p2pls-source"),
              "--channel",
              std::string(kChannel),
              "--tracker",
              tracker_url,
              "--listen",
              (loopback_lab(paths) ? source_address(s) : paths.service_host) + ":0",
              "--chunk-ms",
              std::to_string(s.chunk_ms),
              "--bitrate",
              std::to_string(s.bitrate_kbps),
              "--width",
              std::to_string(s.width),
              "--height",
              std::to_string(s.height),
              "--fps",
              std::to_string(s.fps),
              "--key",
              join(paths.run_dir, "channel.key")};
    add_client_tls(paths, p.argv);
    if (!paths.clip.empty() && caps.source_replay) {
        p.argv.insert(p.argv.end(), {"--replay", paths.clip});
        if (caps.source_loop) {
            p.argv.emplace_back("--loop");
        }
    }
    if (mode == Mode::decade && caps.source_decade_mode) {
        p.argv.insert(p.argv.end(), {"--mode", "decade"});
        if (caps.source_decade_server && !decade_url.empty()) {
            p.argv.insert(p.argv.end(), {"--decade-server", decade_url});
        }
        if (!caps.source_object_flag.empty()) {
            p.argv.insert(p.argv.end(), {caps.source_object_flag, std::to_string(s.object_chunks)});
        }
        if (!caps.source_slots_flag.empty()) {
            p.argv.insert(p.argv.end(), {caps.source_slots_flag, std::to_string(s.slots)});
        }
        if (caps.source_decade_local_address && loopback_lab(paths)) {
            p.argv.insert(p.argv.end(), {"--decade-local-address", source_address(s)});
        }
    }
    if (caps.source_upload_limit && s.source_upload_bps != 0) {
        p.argv.insert(p.argv.end(),
                      {"--upload-limit", rate_arg(s.source_upload_bps, caps.source_upload_unit)});
    }
    add_delays(p.argv, s, paths, source_region_index(s), caps.source_delay_flag,
               caps.source_link_delay);
    return p;
}

ProcessSpec peer_spec(const Scenario& s, Mode mode, const RunPaths& paths, const Capabilities& caps,
                      const std::string& tracker_url, std::uint32_t peer, std::uint32_t session,
                      std::size_t region, const std::string& decade_url) {
    ProcessSpec p;
    p.name = peer_name(peer, session);
    p.log = join(join(paths.run_dir, "logs"), p.name + ".log");
    p.argv = {join(paths.bin_dir, "p2pls-peer"),
              "--tracker",
              tracker_url,
              "--channel",
              std::string(kChannel),
              "--listen",
              (loopback_lab(paths) ? peer_address(region, peer) : "127.0.0.1") + std::string(":0"),
              "--report",
              peer_report_file(paths, peer, session)};
    add_client_tls(paths, p.argv);
    if (mode == Mode::native) {
        if (caps.peer_upload_limit) {
            p.argv.insert(p.argv.end(),
                          {"--upload-limit", rate_arg(s.peer_upload_bps, caps.peer_upload_unit)});
        }
    } else {
        p.argv.insert(p.argv.end(), {"--mode", "decade"});
        // DECADE peers upload no media; their budget stays at Bu so a fallback to native
        // serving (if the peer has one) cannot exceed the native supply.
        if (caps.peer_upload_limit) {
            p.argv.insert(p.argv.end(),
                          {"--upload-limit", rate_arg(s.peer_upload_bps, caps.peer_upload_unit)});
        }
        if (!caps.peer_object_flag.empty()) {
            p.argv.insert(p.argv.end(), {caps.peer_object_flag, std::to_string(s.object_chunks)});
        }
        if (!caps.peer_slots_flag.empty()) {
            p.argv.insert(p.argv.end(), {caps.peer_slots_flag, std::to_string(s.slots)});
        }
        if (caps.peer_decade_local_address && loopback_lab(paths)) {
            p.argv.insert(p.argv.end(), {"--decade-local-address", peer_address(region, peer)});
        }
        if (caps.peer_decade_server && !decade_url.empty()) {
            p.argv.insert(p.argv.end(), {"--decade-server", decade_url});
        }
    }
    if (caps.peer_id) {
        p.argv.insert(p.argv.end(), {"--peer-id", p.name});
    }
    if (caps.peer_region && region < s.regions.size()) {
        p.argv.insert(p.argv.end(), {"--region", s.regions[region].name});
    }
    add_delays(p.argv, s, paths, region, caps.peer_delay_flag, caps.peer_link_delay);
    if (paths.trace && caps.peer_trace) {
        p.argv.insert(p.argv.end(), {"--trace", peer_trace_file(paths, peer, session)});
    }
    return p;
}

bool loopback_lab(const RunPaths& paths) {
    return paths.service_host == "127.0.0.1";
}

namespace {
std::string region_host(std::size_t region, std::uint32_t third, std::uint32_t fourth) {
    return "127." + std::to_string(16 + region % kMaxRegions) + "." + std::to_string(third) + "." +
           std::to_string(fourth);
}
}  // namespace

std::string region_block(std::size_t region) {
    return region_host(region, 0, 0) + "/16";
}

std::string peer_address(std::size_t region, std::uint32_t peer) {
    return region_host(region, 1 + peer / 250 % 254, 1 + peer % 250);
}

std::string source_address(const Scenario& s) {
    return region_host(source_region_index(s), 0, 254);
}

std::string server_address(const Scenario& s, std::size_t server) {
    return region_host(server_region_index(s, server), 0,
                       1 + static_cast<std::uint32_t>(server % 250));
}

std::string server_host(const Scenario& s, const RunPaths& paths, std::size_t server) {
    return loopback_lab(paths) ? server_address(s, server) : paths.service_host;
}

std::vector<std::string> service_addresses(const Scenario& s, const RunPaths& paths) {
    std::vector<std::string> out{paths.service_host};
    for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
        const std::string host = server_host(s, paths, i);
        if (std::find(out.begin(), out.end(), host) == out.end()) {
            out.push_back(host);
        }
    }
    return out;
}

void place_in_namespace(ProcessSpec& spec, const std::string& ns, const std::string& address) {
    for (std::size_t i = 0; i + 1 < spec.argv.size(); ++i) {
        if (spec.argv[i] == "--listen") {
            spec.argv[i + 1] = address + ":0";
        }
    }
    spec.argv.insert(spec.argv.begin(), {"ip", "netns", "exec", ns});
}

std::vector<std::string> clip_command(const Scenario& s, double seconds, const std::string& file) {
    const auto frames = static_cast<std::uint64_t>(std::ceil(seconds * s.fps));
    const auto key_interval = std::max<std::uint64_t>(1, s.fps * s.chunk_ms / 1000);
    return {"gst-launch-1.0",
            "-q",
            "videotestsrc",
            "num-buffers=" + std::to_string(frames),
            "pattern=smpte",
            "horizontal-speed=4",
            "!",
            "video/x-raw,format=I420,width=" + std::to_string(s.width) + ",height=" +
                std::to_string(s.height) + ",framerate=" + std::to_string(s.fps) + "/1",
            "!",
            "x264enc",
            "tune=zerolatency",
            "speed-preset=ultrafast",
            "bitrate=" + std::to_string(s.bitrate_kbps),
            "key-int-max=" + std::to_string(key_interval),
            "option-string=scenecut=0",
            "!",
            "h264parse",
            "config-interval=-1",
            "!",
            "mpegtsmux",
            "alignment=7",
            "!",
            "filesink",
            "location=" + file};
}

}  // namespace p2pls::experiments
