// DECADE-mode swarms on netsim: real PeerEngines in DECADE mode, a DECADE-mode
// source, and simulated DECADE servers (netsim/sim_decade.hpp) with an egress cap and m
// slots per client. Same stream and links as tests/sim/peer/swarm_sim_test.cpp: 500 kbit/s
// in 1 s chunks, source budget 4x the rate, peers' uplinks 1.5x the rate, 40 ms one way.
// Set SIM_DEBUG=1 to print every peer's report; SIM_MEASURE=1 runs the DECADE-vs-native
// and k/m comparison (DecadeSim.Measure) and prints its table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "decade-module/core/object_name.hpp"
#include "decade-module/core/token.hpp"
#include "netsim/sim_decade.hpp"
#include "netsim/swarm.hpp"
#include "peer/core/decade_object.hpp"

namespace p2pls::netsim {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kRateBytesPerS = 500'000 / 8;
constexpr std::uint64_t kPeerUpload = kRateBytesPerS * 3 / 2;
constexpr std::int64_t kUnixOffset = 1'790'000'000;

NodeLinks links(std::uint64_t upload, Duration delay = 40ms) {
    NodeLinks l;
    l.up.delay = delay;
    l.up.rate_bytes_per_s = upload + upload / 4;
    return l;
}

struct Options {
    bool decade = true;
    std::size_t peers = 50;
    std::size_t servers = 2;
    // Total egress of the DECADE servers, in native per-peer uploads.
    std::uint64_t egress_peers = 50;
    std::uint32_t k = 1;
    std::uint32_t m = 4;
    std::uint64_t source_upload = 4 * kRateBytesPerS;
    // Every n-th peer is native in a DECADE run (0: none).
    std::size_t native_every = 0;
};

class DecadeRun {
  public:
    DecadeRun(std::uint64_t seed, Options o)
        : opt(o),
          sim(seed),
          net(sim),
          swarm(sim, net, SwarmConfig{}),
          decade(sim, net, swarm, kUnixOffset) {
        swarm.on_disconnect = [this](Handle, const peer::Disconnect& d) {
            ++reasons[d.detail.substr(0, d.detail.find_first_of("0123456789:"))];
        };
        for (std::size_t i = 0; i < opt.servers; ++i) {
            NodeLinks l;
            l.up.delay = 10ms;
            l.up.rate_bytes_per_s = opt.egress_peers * kPeerUpload / opt.servers;
            l.down.delay = 10ms;
            decade.add_server(server(i), l, opt.m);
        }
    }

    static std::string server(std::size_t i) { return "http://decade-" + std::to_string(i); }

    peer::EngineConfig config(bool use_decade, std::size_t home) {
        auto c = swarm.base_config();
        if (use_decade) {
            const auto locker = decade.register_locker(server(home));
            c.decade.enabled = true;
            c.decade.server = server(home);
            c.decade.locker = locker.id;
            c.decade.secret = locker.secret;
            c.decade.object_chunks = opt.k;
            c.decade.slots = opt.m;
            c.decade.unix_offset_s = kUnixOffset;
        }
        return c;
    }

    Handle start_source() {
        auto c = config(opt.decade, 0);
        c.upload_limit_bytes_per_s = opt.source_upload;
        c.max_neighbors = 64;
        source = swarm.add_source(c, links(opt.source_upload));
        sim.run_for(10s);
        return *source;
    }

    std::vector<Handle> flash_crowd(Duration spread) {
        auto out = std::make_shared<std::vector<Handle>>(opt.peers);
        for (std::size_t i = 0; i < opt.peers; ++i) {
            std::uniform_int_distribution<std::int64_t> at(0, spread.count());
            sim.after(Duration{at(sim.rng())}, [this, out, i] {
                const bool native =
                    !opt.decade || (opt.native_every != 0 && i % opt.native_every == 0);
                auto c = config(!native, i % opt.servers);
                c.upload_limit_bytes_per_s = kPeerUpload;
                (*out)[i] = swarm.add_peer(c, links(kPeerUpload));
            });
        }
        sim.run_for(spread + 1us);
        peers = *out;
        return *out;
    }

    report::QoeReport report(Handle h) { return swarm.engine(h).report(sim.now()); }

    void debug_print() {
        if (std::getenv("SIM_DEBUG") == nullptr) {
            return;
        }
        for (Handle h : peers) {
            const auto r = report(h);
            const auto& d = swarm.engine(h).decade_stats();
            std::printf(
                "%s %s start=%.2f due=%lu miss=%lu frz=%u nb=%u dec=%lu src=%lu peers=%lu "
                "req=%lu batches=%lu fail=%lu fb=%lu tok=%lu upm=%lu cross=%lu\n",
                r.peer_id().c_str(), r.mode().c_str(), r.startup_delay_s(), r.chunks_due(),
                r.chunks_missed(), r.freezes(), r.neighbors(), r.bytes_from_decade(),
                r.bytes_from_source(), r.bytes_from_peers(), d.requests, d.batches,
                d.failed_requests, d.fallbacks, d.token_failures, r.upload_media_bytes(),
                d.cross_server);
        }
        for (const auto& [why, n] : reasons) {
            std::printf("disconnect %s: %d\n", why.c_str(), n);
        }
        for (std::size_t i = 0; i < opt.servers; ++i) {
            const auto& s = decade.stats(server(i));
            std::printf(
                "%s: req=%lu ops=%lu busy=%lu tok=%lu nf=%lu links=%lu s2s=%lu out=%lu "
                "refs=%zu blobs=%zu\n",
                server(i).c_str(), s.requests, s.ops, s.busy_refusals, s.token_refusals,
                s.not_found, s.links, s.s2s_bytes_in, decade.bytes_sent(server(i)),
                decade.references(server(i)), decade.blobs(server(i)));
        }
    }

    Options opt;
    Simulator sim;
    Network net;
    Swarm swarm;
    SimDecade decade;
    std::optional<Handle> source;
    std::vector<Handle> peers;
    std::map<std::string, int> reasons;
};

struct Summary {
    std::uint64_t due = 0, missed = 0, freezes = 0, not_started = 0;
    double mean_startup = 0, max_startup = 0;
    std::uint64_t media_up = 0;  // media bytes the peers sent (must be 0 in DECADE mode)
    std::uint64_t media_in = 0;  // media bytes the peers received (any path)
    std::uint64_t control = 0;   // peer-wire control both ways + DECADE request/reply overhead
    std::uint64_t fallbacks = 0, batches = 0, requests = 0, token_failures = 0;
    std::uint64_t played_bad = 0;
};

Summary summarize(DecadeRun& run) {
    Summary s;
    for (Handle h : run.peers) {
        const auto r = run.report(h);
        const auto& d = run.swarm.engine(h).decade_stats();
        s.due += r.chunks_due();
        s.missed += r.chunks_missed();
        s.freezes += r.freezes();
        if (r.startup_delay_s() < 0) {
            ++s.not_started;
        } else {
            s.mean_startup += r.startup_delay_s();
            s.max_startup = std::max(s.max_startup, r.startup_delay_s());
        }
        s.media_up += r.upload_media_bytes() + r.socket_media_bytes_sent();
        s.media_in += r.download_media_bytes();
        // Each control byte once: what the peers sent on the peer wire (each message is
        // sent by one peer and received by another) plus DECADE request/reply overhead.
        s.control += r.upload_control_bytes() + d.control_bytes;
        s.fallbacks += r.fallbacks();
        s.batches += d.batches;
        s.requests += d.requests;
        s.token_failures += r.token_failures();
        s.played_bad += run.swarm.played_bad(h);
    }
    const std::size_t started = run.peers.size() - s.not_started;
    s.mean_startup = started == 0 ? 0 : s.mean_startup / static_cast<double>(started);
    return s;
}

Summary flash_crowd(std::uint64_t seed, Options o, DecadeRun** keep = nullptr) {
    auto* run = new DecadeRun(seed, o);
    run->start_source();
    run->flash_crowd(10s);
    run->sim.run_for(80s);
    run->debug_print();
    const Summary s = summarize(*run);
    if (keep != nullptr) {
        *keep = run;
    } else {
        delete run;
    }
    return s;
}

TEST(DecadeSim, FlashCrowdOfFiftyPlaysWithZeroPeerUpload) {
    DecadeRun* run = nullptr;
    Options o;
    if (const char* k = std::getenv("SIM_K")) {  // debugging aid: other k and m
        o.k = static_cast<std::uint32_t>(std::atoi(k));
    }
    if (const char* m = std::getenv("SIM_M")) {
        o.m = static_cast<std::uint32_t>(std::atoi(m));
    }
    const Summary s = flash_crowd(42, o, &run);
    std::unique_ptr<DecadeRun> owned(run);

    EXPECT_EQ(s.not_started, 0u);
    for (Handle h : run->peers) {
        const auto r = run->report(h);
        EXPECT_EQ(r.mode(), "decade");
        EXPECT_GE(r.chunks_due(), 60u) << r.peer_id();
        EXPECT_EQ(r.upload_media_bytes(), 0u) << r.peer_id();
        EXPECT_EQ(r.socket_media_bytes_sent(), 0u) << r.peer_id();
        EXPECT_GT(r.bytes_from_decade(), 0u) << r.peer_id();
    }
    EXPECT_EQ(s.played_bad, 0u);
    EXPECT_LE(static_cast<double>(s.missed), 0.001 * static_cast<double>(s.due))
        << s.missed << " of " << s.due << " missed";
    EXPECT_EQ(s.media_up, 0u);
    EXPECT_LE(static_cast<double>(s.control), 0.02 * static_cast<double>(s.media_in))
        << "control " << s.control << " media " << s.media_in;
    EXPECT_EQ(s.token_failures, 0u);
    // Storage carries the stream: most media comes through DECADE, not from the source.
    std::uint64_t from_decade = 0, from_source = 0;
    for (Handle h : run->peers) {
        from_decade += run->report(h).bytes_from_decade();
        from_source += run->report(h).bytes_from_source();
    }
    EXPECT_GT(from_decade, 10 * from_source);
    // Objects are stored once per server: far more locker references than blobs.
    for (std::size_t i = 0; i < 2; ++i) {
        const std::string url = DecadeRun::server(i);
        EXPECT_GT(run->decade.references(url), 5 * run->decade.blobs(url)) << url;
        EXPECT_LE(run->decade.stats(url).max_in_service, 4u) << url;
    }
}

// Objects of 4 chunks over 4 slots: each object appears 4 s after its first chunk, so half
// the startup lag is left to spread it, and the peers of the second server copy it from
// the first more often. Without the calm-down after slow copies across servers
// (EngineConfig::decade.cross_server_calm), the first server's uplink congested,
// requests timed out and were asked again, and this swarm missed 73 % of its chunks.
TEST(DecadeSim, LargeObjectsOverManySlotsDoNotCongestTheServers) {
    Options o;
    o.k = 4;
    o.m = 4;
    // Three seeds: one arrival schedule can be unlucky (seed 42 misses 0.3 %, seeds 1 and 2
    // none), and the collapse this guards against missed 73 % on every seed.
    std::vector<double> miss_rates;
    for (const std::uint64_t seed : {42, 1, 2}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        DecadeRun* run = nullptr;
        const Summary s = flash_crowd(seed, o, &run);
        std::unique_ptr<DecadeRun> owned(run);
        EXPECT_EQ(s.not_started, 0u);
        EXPECT_EQ(s.media_up, 0u);
        miss_rates.push_back(static_cast<double>(s.missed) / static_cast<double>(s.due));
        EXPECT_LE(miss_rates.back(), 0.01) << s.missed << " of " << s.due << " missed";
        // Copies across servers stay a small part of what the second server's peers read.
        const auto& far = run->decade.stats(DecadeRun::server(1));
        EXPECT_LT(far.s2s_bytes_in, run->decade.bytes_sent(DecadeRun::server(1)) / 2);
    }
    std::sort(miss_rates.begin(), miss_rates.end());
    EXPECT_LE(miss_rates[1], 0.002) << "median miss rate over the seeds";
}

// A neighbour holding a range token reads only the seqs it names, and only until it expires.
TEST(DecadeSim, RangeTokenScopeAndExpiryAreEnforced) {
    Options o;
    o.peers = 4;
    DecadeRun run(7, o);
    run.start_source();
    run.flash_crowd(2s);
    run.sim.run_for(20s);
    const Handle src = *run.source;
    const auto& engine = run.swarm.engine(src);
    const auto& cfg = engine.config();
    ASSERT_FALSE(engine.locker_seqs().empty());
    const ChunkSeq held = *engine.locker_seqs().rbegin();
    const std::string prefix = cfg.channel + "-";
    const std::string name = decade::object_name(prefix, held.value());
    const std::string url = cfg.decade.server;

    // In scope: the object comes back and its chunk verifies.
    const std::string token = engine.mint_range_token(held, held, run.sim.now());
    auto got = run.decade.get(url, cfg.decade.locker, name, token);
    ASSERT_TRUE(got) << got.error().message();
    auto chunks = peer::decode_object(**got);
    ASSERT_TRUE(chunks);
    EXPECT_EQ((*chunks)[0].seq(), held.value());

    // Out of scope: the previous object, with a token for `held` only.
    const std::string other = decade::object_name(prefix, held.value() - 1);
    auto outside = run.decade.get(url, cfg.decade.locker, other, token);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error(), make_error_code(Errc::token_out_of_scope));

    // A token for another locker's objects does not open this one.
    const Handle p = run.peers[0];
    const std::string foreign = run.swarm.engine(p).mint_range_token(held, held, run.sim.now());
    auto wrong = run.decade.get(url, cfg.decade.locker, name, foreign);
    EXPECT_FALSE(wrong);

    // Expired: the same token after its lifetime (+ the server's skew allowance).
    run.sim.run_for(cfg.decade.token_lifetime + 3s);
    auto late = run.decade.get(url, cfg.decade.locker, name, token);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error(), make_error_code(Errc::token_expired));
}

// A DECADE server dies mid-stream: its peers fall back to native fetching (the source)
// and keep playing; stalls are recorded in their reports.
TEST(DecadeSim, ServerKilledMidStreamPeersFallBackAndKeepPlaying) {
    Options o;
    o.peers = 10;
    o.egress_peers = 20;
    o.source_upload = 8 * kRateBytesPerS;  // room for the fallbacks of 5 peers
    DecadeRun run(11, o);
    run.start_source();
    run.flash_crowd(5s);
    run.sim.run_for(30s);
    std::map<Handle, std::uint64_t> played_before;
    for (Handle h : run.peers) {
        played_before[h] = run.swarm.played(h);
    }
    run.decade.set_alive(DecadeRun::server(1), false);  // the source's server (0) lives on
    run.sim.run_for(40s);
    run.debug_print();
    std::uint64_t orphans = 0, missed = 0, due = 0, fallbacks = 0;
    for (Handle h : run.peers) {
        const auto r = run.report(h);
        EXPECT_EQ(r.upload_media_bytes(), 0u);
        EXPECT_GE(run.swarm.played(h), played_before[h] + 30) << r.peer_id() << " kept playing";
        if (run.swarm.engine(h).config().decade.server == DecadeRun::server(1)) {
            ++orphans;
            fallbacks += r.fallbacks();
            EXPECT_GT(r.fallbacks(), 20u) << r.peer_id();
        }
        missed += r.chunks_missed();
        due += r.chunks_due();
    }
    EXPECT_EQ(orphans, 5u);
    std::printf("server killed: %lu fallbacks by its 5 peers, %lu of %lu chunks missed\n",
                fallbacks, missed, due);
    EXPECT_LE(static_cast<double>(missed), 0.05 * static_cast<double>(due));
}

// Native and DECADE peers in one channel interoperate: everyone plays, DECADE peers send
// no media, native peers get theirs natively.
TEST(DecadeSim, MixedSwarmNativeAndDecadePeersAllPlay) {
    Options o;
    o.peers = 20;
    o.native_every = 2;
    o.egress_peers = 20;
    DecadeRun run(5, o);
    run.start_source();
    run.flash_crowd(5s);
    run.sim.run_for(60s);
    run.debug_print();
    std::uint64_t missed = 0, due = 0;
    int natives = 0;
    for (Handle h : run.peers) {
        const auto r = run.report(h);
        EXPECT_GT(r.startup_delay_s(), 0.0) << r.peer_id();
        EXPECT_GE(run.swarm.played(h), 40u) << r.peer_id();
        if (r.mode() == "decade") {
            EXPECT_EQ(r.upload_media_bytes(), 0u) << r.peer_id();
            EXPECT_GT(r.bytes_from_decade(), 0u) << r.peer_id();
        } else {
            ++natives;
            EXPECT_EQ(r.bytes_from_decade(), 0u);
            EXPECT_GT(r.bytes_from_source() + r.bytes_from_peers(), 0u);
        }
        missed += r.chunks_missed();
        due += r.chunks_due();
    }
    EXPECT_EQ(natives, 10);
    EXPECT_LE(static_cast<double>(missed), 0.01 * static_cast<double>(due));
}

// DECADE vs native on the same seed, and DECADE with other k and m, for the figures in
// docs/architecture.md. Prints a table; runs only with SIM_MEASURE=1 (about a minute).
TEST(DecadeSim, Measure) {
    if (std::getenv("SIM_MEASURE") == nullptr) {
        GTEST_SKIP() << "set SIM_MEASURE=1";
    }
    struct Row {
        const char* name;
        Options o;
    };
    std::vector<Row> rows;
    Options native;
    native.decade = false;
    rows.push_back({"native", native});
    for (std::uint32_t k : {1u, 2u, 4u}) {
        for (std::uint32_t m : {1u, 2u, 4u, 8u}) {
            Options d;
            d.k = k;
            d.m = m;
            rows.push_back({"decade", d});
        }
    }
    std::printf("%-7s %2s %2s %8s %8s %8s %6s %7s %7s %8s %9s %9s\n", "mode", "k", "m", "start_s",
                "max_st_s", "miss%", "frz", "ctrl%", "fallbk", "batches", "requests", "media_up");
    for (const Row& row : rows) {
        const Summary s = flash_crowd(42, row.o);
        const double miss =
            s.due == 0 ? 0 : 100.0 * static_cast<double>(s.missed) / static_cast<double>(s.due);
        const double ctrl = s.media_in == 0 ? 0
                                            : 100.0 * static_cast<double>(s.control) /
                                                  static_cast<double>(s.media_in);
        std::printf("%-7s %2u %2u %8.2f %8.2f %8.3f %6lu %7.2f %7lu %8lu %9lu %9lu\n", row.name,
                    row.o.decade ? row.o.k : 0, row.o.decade ? row.o.m : 0, s.mean_startup,
                    s.max_startup, miss, s.freezes, ctrl, s.fallbacks, s.batches, s.requests,
                    s.media_up);
        EXPECT_EQ(s.not_started, 0u);
    }
}

}  // namespace
}  // namespace p2pls::netsim
