// Tracker micro-benchmarks: announce handling in the core (typed and through the JSON
// API), the source's signed announces (Ed25519 verification on every one), and memory
// per member at 10,000 members in one channel and 1,000 channels.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>

#include "common/core/proto_json.hpp"
#include "tracker/core/api.hpp"
#include "tracker/core/source_announce.hpp"
#include "tracker/core/tracker_state.hpp"

namespace p2pls::tracker {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{1000s};

constexpr std::int64_t kUnixMs = 1'800'000'000'000;

const KeyPair& source_keys() {
    static const KeyPair keys = [] {
        KeySeed seed{};
        seed.fill(7);
        return keypair_from_seed(seed);
    }();
    return keys;
}

// The channel's source announce, signed as p2pls-source signs it, at kUnixMs + `n` ms.
tracker_api::AnnounceRequest source_request(const std::string& channel, std::int64_t n,
                                            tracker_api::Event event = tracker_api::started) {
    tracker_api::AnnounceRequest r;
    r.set_peer_id("src");
    r.set_endpoint("127.0.0.1:9000");
    r.set_event(event);
    r.set_is_source(true);
    r.set_bitrate_bps(1'000'000);
    r.set_live_edge(static_cast<std::uint64_t>(n));
    const auto& keys = source_keys();
    r.set_public_key(std::string(reinterpret_cast<const char*>(keys.public_key.data()), 32));
    r.set_source_epoch(std::string(16, '\x11'));
    sign_source_announce(r, channel, keys.secret_key, kUnixMs + n);
    return r;
}

void add_source(TrackerState& state, const std::string& channel) {
    (void)state.announce(channel, source_request(channel, 0), kNow, {}, kUnixMs);
}

tracker_api::AnnounceRequest member_request(int i) {
    tracker_api::AnnounceRequest r;
    r.set_peer_id("peer-" + std::to_string(i));
    r.set_endpoint("10.1." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ":" +
                   std::to_string(1000 + i % 60000));
    r.set_mode(wire::native);
    r.set_event(tracker_api::heartbeat);
    return r;
}

TrackerConfig bench_config() {
    TrackerConfig c;
    c.interval = 3600s;
    c.max_clock_skew_ms = 1'000'000'000;  // the pre-signed timestamps stay fresh
    return c;
}

TrackerState filled(int members) {
    TrackerState state(bench_config(), 1);
    add_source(state, "news");
    for (int i = 0; i < members; ++i) {
        (void)state.announce("news", member_request(i), kNow);
    }
    return state;
}

// A heartbeat in a channel of 10,000 members, 20 peers back: the core alone.
void BM_AnnounceTyped(benchmark::State& bench) {
    auto state = filled(10'000);
    std::vector<tracker_api::AnnounceRequest> requests;
    for (int i = 0; i < 10'000; ++i) {
        requests.push_back(member_request(i));
    }
    std::size_t i = 0;
    for (auto _ : bench) {
        auto reply = state.announce("news", requests[i++ % requests.size()], kNow);
        benchmark::DoNotOptimize(reply);
    }
}
BENCHMARK(BM_AnnounceTyped);

// The same through the HTTP API: JSON body in, JSON reply out.
void BM_AnnounceJsonApi(benchmark::State& bench) {
    auto state = filled(10'000);
    std::vector<std::string> bodies;
    for (int i = 0; i < 10'000; ++i) {
        bodies.push_back(to_json(member_request(i)));
    }
    std::size_t i = 0;
    for (auto _ : bench) {
        const ApiRequest request{.method = "POST",
                                 .target = "/v1/channels/news/announce",
                                 .body = bodies[i++ % bodies.size()],
                                 .remote_host = "127.0.0.1",
                                 .unix_ms = kUnixMs};
        auto response = handle_request(state, request, kNow);
        benchmark::DoNotOptimize(response);
    }
}
BENCHMARK(BM_AnnounceJsonApi);

// The source's heartbeat through the HTTP API: the same channel of 10,000 members, and
// the signature verified on each (pre-signed bodies with increasing timestamps; past the
// last one they are refused as replays after the same verification).
void BM_SourceAnnounceSignedJsonApi(benchmark::State& bench) {
    auto state = filled(10'000);
    std::vector<std::string> bodies;
    for (int i = 1; i <= 20'000; ++i) {
        bodies.push_back(to_json(source_request("news", i, tracker_api::heartbeat)));
    }
    std::size_t i = 0;
    std::size_t refused = 0;
    for (auto _ : bench) {
        const ApiRequest request{.method = "POST",
                                 .target = "/v1/channels/news/announce",
                                 .body = bodies[i++ % bodies.size()],
                                 .remote_host = "127.0.0.1",
                                 .unix_ms = kUnixMs};
        auto response = handle_request(state, request, kNow);
        refused += response.status != 200 ? 1 : 0;
        benchmark::DoNotOptimize(response);
    }
    bench.counters["refused_share"] =
        static_cast<double>(refused) / static_cast<double>(std::max<std::size_t>(i, 1));
}
BENCHMARK(BM_SourceAnnounceSignedJsonApi);

// The signature check alone (libsodium Ed25519 verify of one statement).
void BM_VerifySourceAnnounce(benchmark::State& bench) {
    const auto r = source_request("news", 1, tracker_api::heartbeat);
    for (auto _ : bench) {
        benchmark::DoNotOptimize(check_source_announce("news", r, kUnixMs, 30'000));
    }
}
BENCHMARK(BM_VerifySourceAnnounce);

// The expiry sweep: `range(0)` channels of `range(1)` members. "Idle" is the periodic
// sweep when nobody is due (O(channels)); "All" drops every member at once.
void BM_ExpireSweepIdle(benchmark::State& bench) {
    TrackerState state(bench_config(), 1);
    for (int c = 0; c < bench.range(0); ++c) {
        const std::string ch = "ch" + std::to_string(c);
        add_source(state, ch);
        for (int i = 0; i < bench.range(1); ++i) {
            (void)state.announce(ch, member_request(i), kNow);
        }
    }
    for (auto _ : bench) {
        benchmark::DoNotOptimize(state.expire(kNow + 1s));
    }
}
BENCHMARK(BM_ExpireSweepIdle)->Args({1'000, 10})->Args({1, 10'000});

void BM_ExpireSweepAll(benchmark::State& bench) {
    for (auto _ : bench) {
        bench.PauseTiming();
        auto state = std::make_unique<TrackerState>(TrackerConfig{.interval = 1s}, 1);
        for (int c = 0; c < bench.range(0); ++c) {
            const std::string ch = "ch" + std::to_string(c);
            add_source(*state, ch);
            for (int i = 0; i < bench.range(1); ++i) {
                (void)state->announce(ch, member_request(i), kNow);
            }
        }
        bench.ResumeTiming();
        benchmark::DoNotOptimize(state->expire(kNow + 3s));
        bench.PauseTiming();
        state.reset();
        bench.ResumeTiming();
    }
    bench.counters["members"] = static_cast<double>(bench.range(0) * bench.range(1));
}
BENCHMARK(BM_ExpireSweepAll)->Args({1'000, 10})->Args({1, 10'000})->Iterations(5);

std::size_t heap_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

// Heap bytes per member (mallinfo2 delta): `range(0)` channels of `range(1)` members.
void BM_MemoryPerMember(benchmark::State& bench) {
    const int channels = static_cast<int>(bench.range(0));
    const int members = static_cast<int>(bench.range(1));
    for (auto _ : bench) {
        const std::size_t before = heap_in_use();
        {
            TrackerState state(bench_config(), 1);
            for (int c = 0; c < channels; ++c) {
                add_source(state, "ch" + std::to_string(c));
            }
            const std::size_t with_channels = heap_in_use();
            for (int c = 0; c < channels; ++c) {
                const std::string ch = "ch" + std::to_string(c);
                for (int i = 0; i < members; ++i) {
                    (void)state.announce(ch, member_request(i), kNow);
                }
            }
            const std::size_t after = heap_in_use();
            bench.counters["bytes_per_member"] =
                static_cast<double>(after - with_channels) / (channels * members);
            bench.counters["bytes_per_channel"] =
                static_cast<double>(with_channels - before) / channels;
            bench.counters["members"] = static_cast<double>(state.member_count());
        }
    }
}
BENCHMARK(BM_MemoryPerMember)->Args({1, 10'000})->Args({1'000, 10})->Iterations(1);

}  // namespace
}  // namespace p2pls::tracker
