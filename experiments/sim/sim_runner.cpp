#include "experiments/sim/sim_runner.hpp"

#include <map>

#include "experiments/core/progress.hpp"
#include "experiments/core/schedule.hpp"
#include "netsim/sim_decade.hpp"
#include "netsim/swarm.hpp"

namespace p2pls::experiments {

namespace {

using namespace std::chrono_literals;

Duration seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// Access links: the engine's budget is the media cap; the link leaves a quarter more
// for control traffic. Delay comes from the region matrix (region_delays).
netsim::NodeLinks links(std::uint64_t upload_bps, std::size_t region) {
    netsim::NodeLinks l;
    l.up.rate_bytes_per_s = upload_bps == 0 ? 0 : upload_bps + upload_bps / 4;
    l.region = static_cast<int>(region);
    return l;
}

// The scenario's delay matrix, as in process runs: every path between two nodes (peer,
// source, DECADE server) has the one-way delay of their two regions.
std::vector<std::vector<Duration>> region_delays(const Scenario& s) {
    const std::size_t n = std::max<std::size_t>(s.regions.size(), 1);
    std::vector<std::vector<Duration>> out(n, std::vector<Duration>(n));
    for (std::size_t a = 0; a < n; ++a) {
        for (std::size_t b = 0; b < n; ++b) {
            out[a][b] = seconds(path_delay_ms(s, a, b) / 1000);
        }
    }
    return out;
}

// Tokens carry wall-clock expiry; the simulated clock maps to this Unix time.
constexpr std::int64_t kUnixOffset = 1'790'000'000;

std::string server_url(std::size_t i) {
    return "http://decade-" + std::to_string(i);
}

}  // namespace

std::optional<std::string> sim_mode_unavailable(Mode) {
    return std::nullopt;  // both modes: netsim simulates the DECADE servers (sim_decade)
}

RunResult run_sim(const Scenario& s, Mode mode, const std::string& label,
                  const std::function<void(const std::string&)>& on_progress,
                  const std::function<bool()>& cancelled, bool trace) {
    RunResult result;
    result.label = label;
    result.mode = mode;
    result.peers = s.peers;
    result.duration_s = s.duration_s;
    const Supply supply = supply_of(s);
    result.supply_bps = mode == Mode::native ? supply.native_peers_bps : supply.decade_servers_bps;
    result.source_bps = supply.source_bps;
    if (auto why = sim_mode_unavailable(mode)) {
        result.available = false;
        result.unavailable = *why;
        return result;
    }

    netsim::Simulator sim(s.seed);
    netsim::Network net(sim);
    net.set_region_delays(region_delays(s));
    netsim::SwarmConfig config;
    config.channel = std::string("testbed");
    config.bitrate_bps = static_cast<std::uint64_t>(s.bitrate_kbps) * 1000;
    config.chunk_duration = std::chrono::milliseconds(s.chunk_ms);
    for (std::size_t i = 0; i < config.key_seed.size(); ++i) {
        config.key_seed[i] = static_cast<std::uint8_t>((s.seed >> ((i % 8) * 8)) + i);
    }
    netsim::Swarm swarm(sim, net, config);
    // DECADE servers: in-network nodes whose uplink rate is their egress share of N x Bu,
    // m slots per client (the draft's §4.2.1 and §8.1.2).
    netsim::SimDecade decade(sim, net, swarm, kUnixOffset);
    const bool use_decade = mode == Mode::decade;
    if (use_decade) {
        for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
            netsim::NodeLinks l;
            l.up.rate_bytes_per_s = server_egress_bps(s, i);
            l.region = static_cast<int>(server_region_index(s, i));
            decade.add_server(server_url(i), l, s.slots);
        }
    }
    const auto decade_config = [&](peer::EngineConfig& c, std::size_t home) {
        if (!use_decade || s.decade_servers.empty()) {
            return;
        }
        const auto locker = decade.register_locker(server_url(home));
        c.decade.enabled = true;
        c.decade.server = server_url(home);
        c.decade.locker = locker.id;
        c.decade.secret = locker.secret;
        c.decade.object_chunks = s.object_chunks;
        c.decade.slots = s.slots;
        c.decade.unix_offset_s = kUnixOffset;
    };

    // The source stores into the first server of its region (as in process runs).
    auto source_config = swarm.base_config();
    decade_config(source_config, source_server_index(s));
    source_config.upload_limit_bytes_per_s = s.source_upload_bps;
    swarm.add_source(source_config, links(s.source_upload_bps, source_region_index(s)));
    sim.run_for(5s);  // the channel is live before anyone joins, as with processes

    const auto events = make_schedule(s);
    const auto regions = assign_regions(s);
    const auto servers = assign_servers(s, regions);
    struct Session {
        std::uint32_t peer = 0;
        std::uint32_t session = 0;
        netsim::Handle handle = 0;
        std::optional<report::QoeReport> final_report;
    };
    std::vector<Session> sessions;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> index;
    const TimePoint t0 = sim.now();
    for (const auto& e : events) {
        sim.at(t0 + seconds(e.at_s), [&, e] {
            if (e.kind == PeerEvent::Kind::start) {
                auto c = swarm.base_config();
                c.upload_limit_bytes_per_s = s.peer_upload_bps;
                c.trace = trace;
                decade_config(c, servers[e.peer]);
                const auto h = swarm.add_peer(c, links(s.peer_upload_bps, regions[e.peer]));
                index[{e.peer, e.session}] = sessions.size();
                sessions.push_back({.peer = e.peer,
                                    .session = e.session,
                                    .handle = h,
                                    .final_report = std::nullopt});
                return;
            }
            const auto it = index.find({e.peer, e.session});
            if (it == index.end()) {
                return;
            }
            auto& session = sessions[it->second];
            session.final_report = swarm.engine(session.handle).report(sim.now(), true);
            for (auto& t : swarm.engine(session.handle).take_traces()) {
                result.traces.push_back(std::move(t));
            }
            swarm.remove(session.handle, e.graceful);
        });
    }

    const TimePoint end = t0 + seconds(s.duration_s);
    while (sim.now() < end) {
        if (cancelled && cancelled()) {
            result.failure = "interrupted";
            break;
        }
        sim.run_for(std::min<Duration>(10s, end - sim.now()));
        for (const auto& session : sessions) {
            if (!session.final_report) {
                for (auto& t : swarm.engine(session.handle).take_traces()) {
                    result.traces.push_back(std::move(t));
                }
            }
        }
        if (on_progress) {
            Progress p{.run = label + " (sim)",
                       .elapsed_s = to_seconds(sim.now() - t0),
                       .duration_s = s.duration_s,
                       .joined = sessions.size(),
                       .online = 0,
                       .playing = 0,
                       .chunks_missed = 0,
                       .chunks_due = 0,
                       .failed = 0};
            for (const auto& session : sessions) {
                const auto r = session.final_report
                                   ? *session.final_report
                                   : swarm.engine(session.handle).report(sim.now());
                if (!session.final_report) {
                    ++p.online;
                    p.playing += r.startup_delay_s() >= 0 ? 1 : 0;
                }
                p.chunks_missed += r.chunks_missed();
                p.chunks_due += r.chunks_due();
            }
            on_progress(progress_line(p));
        }
    }
    if (on_progress) {
        on_progress("");
    }
    for (auto& session : sessions) {
        SessionRecord record{.peer = session.peer,
                             .session = session.session,
                             .reported = true,
                             .final = true,
                             .last = session.final_report
                                         ? *session.final_report
                                         : swarm.engine(session.handle).report(sim.now(), true)};
        result.sessions.push_back(std::move(record));
    }
    return result;
}

}  // namespace p2pls::experiments
