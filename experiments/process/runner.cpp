#include "experiments/process/runner.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <map>
#include <thread>

#include "experiments/core/progress.hpp"
#include "experiments/core/schedule.hpp"
#include "experiments/core/trace_report.hpp"
#include "experiments/process/children.hpp"
#include "experiments/process/files.hpp"

namespace p2pls::experiments {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStartTimeout{15'000};
constexpr std::size_t kReportTail = 64 * 1024;

struct Session {
    std::uint32_t peer = 0;
    std::uint32_t session = 0;
    std::string name;
    std::string report;
    std::string log;
    bool online = false;
    int exit_code = 0;
    bool exited_by_itself = false;
    std::optional<report::QoeReport> latest;
};

// Waits for a --port-file; fails early if the process exits.
std::optional<std::uint16_t> wait_port(Children& children, const std::string& name,
                                       const std::string& file) {
    const auto deadline = Clock::now() + kStartTimeout;
    while (Clock::now() < deadline && !stop_requested()) {
        if (const auto port = read_port_file(file)) {
            return port;
        }
        if (!children.running(name)) {
            return std::nullopt;
        }
        children.reap();
        std::this_thread::sleep_for(milliseconds(20));  // polling the file
    }
    return std::nullopt;
}

std::string describe_exit(const std::string& what, const std::string& log) {
    const std::string line = last_log_line(log);
    return what + (line.empty() ? "" : ": " + line) + " (log: " + log + ")";
}

}  // namespace

RunResult run_mode(const Scenario& s, Mode mode, const std::string& label, const RunOptions& opt) {
    RunResult result;
    result.label = label;
    result.mode = mode;
    result.peers = s.peers;
    result.duration_s = s.duration_s;
    const Supply supply = supply_of(s);
    result.supply_bps = mode == Mode::native ? supply.native_peers_bps : supply.decade_servers_bps;
    result.source_bps = supply.source_bps;
    if (auto why = mode_unavailable(mode, opt.caps)) {
        result.available = false;
        result.unavailable = "not available in this build: " + *why;
        return result;
    }
    const RunPaths& paths = opt.paths;
    std::error_code ec;
    std::filesystem::create_directories(paths.run_dir + "/logs", ec);
    std::filesystem::create_directories(paths.run_dir + "/reports", ec);
    if (paths.trace) {
        std::filesystem::create_directories(paths.run_dir + "/traces", ec);
    }
    if (ec) {
        result.failure = "cannot create " + paths.run_dir + ": " + ec.message();
        return result;
    }

    // CPU of this run's processes: RUSAGE_CHILDREN grows as they are reaped.
    const auto children_cpu_s = [] {
        rusage usage{};
        getrusage(RUSAGE_CHILDREN, &usage);
        const auto secs = [](const timeval& tv) {
            return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
        };
        return secs(usage.ru_utime) + secs(usage.ru_stime);
    };
    const double cpu_before = children_cpu_s();
    Children children;
    std::string why;
    const auto fail = [&](std::string message) {
        result.failure = std::move(message);
        children.stop_all(milliseconds(3000));
        return result;
    };

    // DECADE servers first: the tracker's config names them.
    std::vector<std::string> server_urls;
    if (mode == Mode::decade) {
        for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
            const auto spec = decade_server_spec(s, paths, opt.caps, i);
            if (!children.start(spec, why)) {
                return fail(why);
            }
            const auto port = wait_port(children, spec.name, decade_port_file(paths, i));
            if (!port) {
                return fail(describe_exit(spec.name + " did not start", spec.log));
            }
            server_urls.push_back(service_scheme(paths) + server_host(s, paths, i) + ":" +
                                  std::to_string(*port));
        }
    }
    std::string tracker_config_file;
    if (!server_urls.empty()) {
        tracker_config_file = paths.run_dir + "/tracker.toml";
        if (!write_file(tracker_config_file, tracker_config(s, server_urls))) {
            return fail("cannot write " + tracker_config_file);
        }
    }
    const auto tracker = tracker_spec(s, paths, opt.caps, tracker_config_file);
    if (!children.start(tracker, why)) {
        return fail(why);
    }
    const auto tracker_port = wait_port(children, tracker.name, tracker_port_file(paths));
    if (!tracker_port) {
        return fail(describe_exit("p2pls-tracker did not start", tracker.log));
    }
    const std::string tracker_url =
        service_scheme(paths) + paths.service_host + ":" + std::to_string(*tracker_port);

    // The source stores into the first server of its own region.
    const std::size_t home = source_server_index(s);
    const auto source = source_spec(s, mode, paths, opt.caps, tracker_url,
                                    home < server_urls.size() ? server_urls[home] : "");
    if (!children.start(source, why)) {
        return fail(why);
    }
    // The source is up once the tracker knows the channel.
    const std::string channel_path = "/v1/channels/" + std::string(kChannel);
    const auto source_deadline = Clock::now() + kStartTimeout;
    bool source_unannounced = false;
    while (true) {
        if (stop_requested()) {
            return fail("interrupted");
        }
        if (!children.running(source.name)) {
            return fail(describe_exit("p2pls-source exited at start-up", source.log));
        }
        const auto status = paths.tls_ca.empty()
                                ? http_get_status(paths.service_host, *tracker_port, channel_path,
                                                  milliseconds(500))
                                : https_get_status(paths.service_host, *tracker_port, channel_path,
                                                   paths.tls_ca, milliseconds(500));
        if (status == 200) {
            break;
        }
        if (Clock::now() > source_deadline) {
            // Go on: peers may still find the source later; the summary says so if no
            // peer ever reported.
            source_unannounced = true;
            break;
        }
        children.reap();
        std::this_thread::sleep_for(milliseconds(100));  // polling the tracker
    }

    const auto events = make_schedule(s);
    const auto regions = assign_regions(s);
    const auto servers = assign_servers(s, regions);
    std::map<std::string, Session> sessions;  // by process name
    std::size_t next = 0;
    std::size_t failed = 0;
    const auto t0 = Clock::now();
    auto next_progress = t0;
    const auto end = t0 + milliseconds(static_cast<std::int64_t>(s.duration_s * 1000));
    std::string broke_off;

    while (Clock::now() < end) {
        if (stop_requested()) {
            broke_off = "interrupted by signal " + std::to_string(stop_signal());
            break;
        }
        const double now_s = std::chrono::duration<double>(Clock::now() - t0).count();
        for (; next < events.size() && events[next].at_s <= now_s; ++next) {
            const auto& e = events[next];
            const std::string url = server_urls.empty() ? "" : server_urls[servers[e.peer]];
            auto spec = peer_spec(s, mode, paths, opt.caps, tracker_url, e.peer, e.session,
                                  regions[e.peer], url);
            if (opt.lab != nullptr && e.peer < opt.lab->peers()) {
                place_in_namespace(spec, opt.lab->ns(e.peer), opt.lab->address(e.peer));
            }
            if (e.kind == PeerEvent::Kind::start) {
                Session session{.peer = e.peer,
                                .session = e.session,
                                .name = spec.name,
                                .report = peer_report_file(paths, e.peer, e.session),
                                .log = spec.log,
                                .online = false,
                                .exit_code = 0,
                                .exited_by_itself = false,
                                .latest = std::nullopt};
                if (children.start(spec, why)) {
                    session.online = true;
                } else {
                    ++failed;
                }
                sessions[spec.name] = std::move(session);
            } else {
                children.signal(spec.name, e.graceful ? SIGTERM : SIGKILL);
            }
        }
        for (const auto& exit : children.reap()) {
            if (exit.name == source.name || exit.name == tracker.name ||
                exit.name.rfind("decade-", 0) == 0) {
                broke_off = describe_exit(
                    exit.name + " exited during the run (code " + std::to_string(exit.code) + ")",
                    paths.run_dir + "/logs/" + exit.name + ".log");
                break;
            }
            auto it = sessions.find(exit.name);
            if (it != sessions.end()) {
                it->second.online = false;
                it->second.exit_code = exit.code;
                it->second.exited_by_itself = !exit.by_us;
                if (!exit.by_us && exit.code != 0) {
                    ++failed;
                }
            }
        }
        if (!broke_off.empty()) {
            break;
        }
        if (Clock::now() >= next_progress && opt.on_progress) {
            next_progress += milliseconds(1000);
            Progress p{.run = label,
                       .elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count(),
                       .duration_s = s.duration_s,
                       .joined = sessions.size(),
                       .online = 0,
                       .playing = 0,
                       .chunks_missed = 0,
                       .chunks_due = 0,
                       .failed = failed};
            for (auto& [name, session] : sessions) {
                if (session.online) {
                    if (const auto text = read_tail(session.report, 8192)) {
                        if (auto r = last_report(*text)) {
                            session.latest = std::move(r);
                        }
                    }
                    ++p.online;
                    if (session.latest && session.latest->startup_delay_s() >= 0) {
                        ++p.playing;
                    }
                }
                if (session.latest) {
                    p.chunks_missed += session.latest->chunks_missed();
                    p.chunks_due += session.latest->chunks_due();
                }
            }
            opt.on_progress(progress_line(p));
        }
        std::this_thread::sleep_for(milliseconds(50));  // the controller's tick
    }

    // Teardown: peers first (they flush their final report), then the services.
    std::vector<std::string> peer_names;
    for (const auto& [name, session] : sessions) {
        peer_names.push_back(name);
    }
    children.stop(peer_names, milliseconds(5000));
    children.stop_all(milliseconds(3000));
    if (opt.on_progress) {
        opt.on_progress("");
    }
    result.cpu_s = children_cpu_s() - cpu_before;

    std::size_t self_failed = 0;
    std::string first_failure;
    for (const auto& [name, session] : sessions) {
        SessionRecord record{.peer = session.peer,
                             .session = session.session,
                             .reported = false,
                             .final = false,
                             .last = {}};
        if (const auto text = read_tail(session.report, kReportTail)) {
            if (auto r = last_report(*text)) {
                record.reported = true;
                record.final = r->final();
                record.last = std::move(*r);
            }
        }
        if (session.exited_by_itself && session.exit_code != 0) {
            ++self_failed;
            if (first_failure.empty()) {
                first_failure = describe_exit(
                    name + " exited with code " + std::to_string(session.exit_code), session.log);
            }
        }
        if (paths.trace) {
            // A trace file is bounded by the peer (ChunkTrace keeps a few thousand).
            if (const auto text =
                    read_tail(peer_trace_file(paths, record.peer, record.session), 64 << 20)) {
                for (auto& t : parse_traces(*text)) {
                    result.traces.push_back(std::move(t));
                }
            }
        }
        result.sessions.push_back(std::move(record));
    }
    const bool none_reported = std::none_of(result.sessions.begin(), result.sessions.end(),
                                            [](const SessionRecord& r) { return r.reported; });
    if (mode == Mode::decade && none_reported && self_failed > 0 && broke_off.empty()) {
        // Every DECADE peer refused to run: the build's peer has no working DECADE mode.
        result.available = false;
        result.unavailable = "not available in this build: " + first_failure;
        return result;
    }
    if (source_unannounced && none_reported) {
        result.failure =
            "p2pls-source never announced the channel to the tracker, and no peer "
            "reported (log: " +
            source.log + ")";
    } else if (!broke_off.empty()) {
        result.failure = broke_off;
    } else if (self_failed > 0) {
        result.failure = std::to_string(self_failed) +
                         " peer session(s) exited with an error; first: " + first_failure;
    }
    return result;
}

}  // namespace p2pls::experiments
