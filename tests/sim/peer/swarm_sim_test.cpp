// Simulated swarms (DESIGN.md §7): real PeerEngines on the netsim network, deterministic
// by seed. Stream 500 kbit/s in 1 s chunks; source upload 4x the rate; each peer 1.5x;
// 40 ms one-way links. Set SIM_DEBUG=1 to print every peer's report, SIM_SEED=N to run
// the swarm scenarios on another seed (bench/swarm_seeds.sh sweeps them), SIM_TRACE=1
// to follow each chunk and each freeze (swarm_trace.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "netsim/swarm.hpp"
#include "swarm_trace.hpp"

namespace p2pls::netsim {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kRateBytesPerS = 500'000 / 8;

// The scenario's own seed unless SIM_SEED overrides it.
std::uint64_t seed_or_env(std::uint64_t seed) {
    if (const char* env = std::getenv("SIM_SEED"); env != nullptr && *env != '\0') {
        return std::strtoull(env, nullptr, 10);
    }
    return seed;
}

class SwarmRun {
  public:
    explicit SwarmRun(std::uint64_t seed_)
        : seed(seed_), sim(seed_), net(sim), swarm(sim, net, SwarmConfig{}) {
        swarm.on_disconnect = [this](Handle h, const peer::Disconnect& d) {
            ++reasons[d.detail.substr(0, d.detail.find_first_of("0123456789:"))];
            if (d.reason == Errc::signature_invalid) {
                ++bans_by[h];
            }
        };
    }

    // Uplink: the engine's budget is `upload`; the link has a quarter more for control.
    static NodeLinks links(std::uint64_t upload) {
        NodeLinks l;
        l.up.delay = 40ms;
        l.up.rate_bytes_per_s = upload + upload / 4;
        return l;
    }

    Handle start_source() {
        auto c = swarm.base_config();
        c.upload_limit_bytes_per_s = 4 * kRateBytesPerS;
        c.max_neighbors = 64;
        const Handle h = swarm.add_source(c, links(4 * kRateBytesPerS));
        sim.run_for(10s);  // live for a while before anyone joins
        return h;
    }

    // `count` peers join at random instants within `spread` from now.
    std::vector<Handle> flash_crowd(std::size_t count, Duration spread,
                                    std::map<std::size_t, Behavior> odd = {}) {
        auto out = std::make_shared<std::vector<Handle>>(count);
        for (std::size_t i = 0; i < count; ++i) {
            std::uniform_int_distribution<std::int64_t> at(0, spread.count());
            const Behavior b = odd.contains(i) ? odd[i] : Behavior::honest;
            sim.after(Duration{at(sim.rng())}, [this, out, i, b] {
                auto c = swarm.base_config();
                c.upload_limit_bytes_per_s = kRateBytesPerS * 3 / 2;
                (*out)[i] = swarm.add_peer(c, links(kRateBytesPerS * 3 / 2), b);
            });
        }
        run_traced(spread + 1us);
        return *out;
    }

    report::QoeReport report(Handle h) { return swarm.engine(h).report(sim.now()); }

    // Runs for `d`, traced when SIM_TRACE is set (swarm_trace.hpp).
    void run_traced(Duration d) { trace.run(d); }

    void debug_print(const std::vector<Handle>& peers) {
        if (std::getenv("SIM_DEBUG") == nullptr) {
            return;
        }
        for (Handle h : peers) {
            const auto r = report(h);
            std::printf(
                "%s start=%.2f due=%lu miss=%lu frz=%u stall=%.1f nb=%u src=%lu peers=%lu\n",
                r.peer_id().c_str(), r.startup_delay_s(), r.chunks_due(), r.chunks_missed(),
                r.freezes(), r.stalled_s(), r.neighbors(), r.bytes_from_source(),
                r.bytes_from_peers());
        }
        const auto& src = swarm.engine(*swarm.source()).traffic();
        std::printf("source served=%llu refused=%llu\n",
                    static_cast<unsigned long long>(src.chunks_served),
                    static_cast<unsigned long long>(src.requests_refused));
        for (const auto& [why, n] : reasons) {
            std::printf("disconnect %s: %d\n", why.c_str(), n);
        }
    }

    std::uint64_t seed;
    Simulator sim;
    Network net;
    Swarm swarm;
    SwarmTrace trace{sim, swarm};
    std::map<std::string, int> reasons;
    std::map<Handle, int> bans_by;  // signature-failure disconnects decided by each node
};

struct Totals {
    std::uint64_t due = 0, missed = 0, freezes = 0, not_started = 0;
    std::uint64_t duplicates = 0, refused = 0;  // chunks received twice, seqs answered Busy
    double stalled_s = 0, max_startup_s = 0, median_startup_s = 0;
};

Totals totals(SwarmRun& run, const std::vector<Handle>& peers) {
    Totals t;
    std::vector<double> startups;
    for (Handle h : peers) {
        const auto r = run.report(h);
        startups.push_back(r.startup_delay_s());
        t.due += r.chunks_due();
        t.missed += r.chunks_missed();
        t.freezes += r.freezes();
        t.stalled_s += r.stalled_s();
        t.not_started += r.startup_delay_s() < 0 ? 1 : 0;
        t.max_startup_s = std::max(t.max_startup_s, r.startup_delay_s());
        t.duplicates += run.swarm.engine(h).traffic().chunks_duplicate;
        t.refused += run.swarm.engine(h).traffic().requests_refused;
    }
    if (!startups.empty()) {
        std::nth_element(startups.begin(), startups.begin() + startups.size() / 2, startups.end());
        t.median_startup_s = startups[startups.size() / 2];
    }
    return t;
}

// One line per scenario, for the seed sweep to collect.
void print_summary(const char* scenario, const SwarmRun& run, const Totals& t) {
    std::printf(
        "[swarm] %s seed=%llu due=%llu missed=%llu freezes=%llu stalled_s=%.1f "
        "not_started=%llu median_startup_s=%.2f max_startup_s=%.2f duplicates=%llu refused=%llu\n",
        scenario, static_cast<unsigned long long>(run.seed), static_cast<unsigned long long>(t.due),
        static_cast<unsigned long long>(t.missed), static_cast<unsigned long long>(t.freezes),
        t.stalled_s, static_cast<unsigned long long>(t.not_started), t.median_startup_s,
        t.max_startup_s, static_cast<unsigned long long>(t.duplicates),
        static_cast<unsigned long long>(t.refused));
}

TEST(SwarmSim, FlashCrowdOfFiftyAllStartAndPlay) {
    SwarmRun run(seed_or_env(42));
    run.start_source();
    const auto peers = run.flash_crowd(50, 10s);
    run.run_traced(80s);
    run.trace.print();
    run.debug_print(peers);

    const Totals t = totals(run, peers);
    print_summary("flash", run, t);
    EXPECT_EQ(t.not_started, 0u);
    for (Handle h : peers) {
        const auto r = run.report(h);
        EXPECT_LT(r.startup_delay_s(), 10.0) << r.peer_id();
        EXPECT_GE(r.chunks_due(), 60u) << r.peer_id();
        EXPECT_EQ(run.swarm.played_bad(h), 0u);
    }
    EXPECT_LE(static_cast<double>(t.missed), 0.001 * static_cast<double>(t.due))
        << t.missed << " of " << t.due << " missed";
    // Stalls after startup are rare: over 32 seeds (bench/swarm_seeds.sh) 24 runs had no
    // freeze and the others 1-4 among the 50 peers, so one seed's exact count is not a
    // property of the swarm; more than that is.
    EXPECT_LE(t.freezes, 4u) << "freezes across the swarm";
    // The peers carry the stream, not the source: most media comes from peers.
    std::uint64_t from_source = 0, from_peers = 0;
    for (Handle h : peers) {
        from_source += run.report(h).bytes_from_source();
        from_peers += run.report(h).bytes_from_peers();
    }
    EXPECT_GT(from_peers, 5 * from_source);
}

TEST(SwarmSim, SameSeedSameRun) {
    auto run_once = [] {
        SwarmRun run(7);
        run.start_source();
        const auto peers = run.flash_crowd(10, 5s);
        run.sim.run_for(20s);
        std::vector<std::uint64_t> out;
        for (Handle h : peers) {
            const auto r = run.report(h);
            out.push_back(r.download_media_bytes());
            out.push_back(r.upload_control_bytes());
        }
        out.push_back(run.sim.events_run());
        return out;
    };
    EXPECT_EQ(run_once(), run_once());
}

TEST(SwarmSim, FifthOfPeersLeaveAtOnceTheRestRecover) {
    SwarmRun run(seed_or_env(43));
    run.start_source();
    const auto peers = run.flash_crowd(50, 10s);
    run.sim.run_for(30s);
    std::vector<Handle> leaving(peers.begin(), peers.begin() + 10);
    std::vector<Handle> staying(peers.begin() + 10, peers.end());
    for (Handle h : leaving) {
        run.swarm.remove(h, /*graceful=*/true);
    }
    const Totals before = totals(run, staying);
    run.sim.run_for(10s);  // recovery period
    const Totals during = totals(run, staying);
    run.sim.run_for(30s);
    const Totals after = totals(run, staying);
    run.debug_print(staying);

    // Recovered within 10 s: after the recovery period nothing more is missed, and the
    // neighbour tables are refilled.
    EXPECT_EQ(after.missed, during.missed) << "misses after the recovery period";
    EXPECT_LE(during.missed - before.missed, 10u);
    for (Handle h : staying) {
        EXPECT_GE(run.report(h).neighbors(), 4u) << run.report(h).peer_id();
    }
}

TEST(SwarmSim, SilentPeersDoNotStallTheSwarm) {
    SwarmRun run(seed_or_env(44));
    run.start_source();
    std::map<std::size_t, Behavior> silent;
    for (std::size_t i = 0; i < 50; i += 5) {
        silent[i] = Behavior::silent;  // 20 %
    }
    const auto peers = run.flash_crowd(50, 10s, silent);
    run.sim.run_for(80s);
    std::vector<Handle> honest;
    for (Handle h : peers) {
        if (run.swarm.behavior(h) == Behavior::honest) {
            honest.push_back(h);
        }
    }
    run.debug_print(honest);
    const Totals t = totals(run, honest);
    print_summary("silent", run, t);
    EXPECT_EQ(t.not_started, 0u);
    // Over ten seeds the worst misses 0.13 %.
    EXPECT_LE(static_cast<double>(t.missed), 0.005 * static_cast<double>(t.due))
        << t.missed << " of " << t.due << " missed";
    // Silent neighbours get dropped as too slow.
    EXPECT_GT(run.reasons["too slow (requests late again and again)"], 0);
}

TEST(SwarmSim, PollutingPeerIsDroppedAndItsChunksNeverPlayed) {
    SwarmRun run(seed_or_env(45));
    run.start_source();
    const auto peers = run.flash_crowd(30, 10s, {{3, Behavior::polluting}});
    run.sim.run_for(60s);
    run.debug_print(peers);
    const Handle polluter = peers[3];
    std::uint64_t rejected = 0;
    for (Handle h : peers) {
        EXPECT_EQ(run.swarm.played_bad(h), 0u);
        if (h == polluter) {
            continue;
        }
        rejected += run.report(h).chunks_rejected();
        // Nobody keeps the polluter as a neighbour.
        for (const auto& [id, n] : run.swarm.engine(h).neighbors().all()) {
            EXPECT_NE(n.peer_id, run.swarm.engine(polluter).config().peer_id);
        }
    }
    EXPECT_GT(rejected, 0u) << "the polluter's chunks were requested and rejected";
    // Each victim rejects at most one chunk from it: banned for good after the first.
    EXPECT_LE(rejected, peers.size());
    const Totals t = totals(run, peers);
    EXPECT_EQ(t.not_started, 0u);
}

}  // namespace
}  // namespace p2pls::netsim
