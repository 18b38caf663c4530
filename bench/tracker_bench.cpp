// Tracker micro-benchmarks: announce handling in the core (typed and through the JSON
// API), and memory per member at 10,000 members in one channel and 1,000 channels.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>

#include "common/core/proto_json.hpp"
#include "tracker/core/api.hpp"
#include "tracker/core/tracker_state.hpp"

namespace p2pls::tracker {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{1000s};

void add_source(TrackerState& state, const std::string& channel) {
    tracker_api::AnnounceRequest r;
    r.set_peer_id("src");
    r.set_endpoint("127.0.0.1:9000");
    r.set_event(tracker_api::started);
    r.set_is_source(true);
    r.set_bitrate_bps(1'000'000);
    r.set_public_key(std::string(32, 'k'));
    (void)state.announce(channel, r, kNow);
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

TrackerState filled(int members) {
    TrackerState state(TrackerConfig{.interval = 3600s}, 1);
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
        const ApiRequest request{"POST", "/v1/channels/news/announce", bodies[i++ % bodies.size()],
                                 "127.0.0.1"};
        auto response = handle_request(state, request, kNow);
        benchmark::DoNotOptimize(response);
    }
}
BENCHMARK(BM_AnnounceJsonApi);

// The expiry sweep: `range(0)` channels of `range(1)` members. "Idle" is the periodic
// sweep when nobody is due (O(channels)); "All" drops every member at once.
void BM_ExpireSweepIdle(benchmark::State& bench) {
    TrackerState state(TrackerConfig{.interval = 3600s}, 1);
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
            TrackerState state(TrackerConfig{.interval = 3600s}, 1);
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
