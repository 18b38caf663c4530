// Peer scheduler: one tick (what the engine does every 100 ms) for a full window of
// missing chunks and N neighbours each holding a random 80 % of it.
#include <benchmark/benchmark.h>

#include <random>

#include "peer/core/scheduler.hpp"

namespace {

using namespace p2pls;
using namespace p2pls::peer;

void BM_SchedulerTick(benchmark::State& state) {
    const auto window = static_cast<std::uint32_t>(state.range(0));
    const auto neighbors = static_cast<std::size_t>(state.range(1));
    std::mt19937_64 rng(1);
    std::bernoulli_distribution holds(0.8);
    std::vector<ChunkBitmap> maps;
    maps.reserve(neighbors);
    SchedulerInput in;
    in.urgent_window = std::chrono::seconds(6);
    in.chunk_bytes = 62'500;
    for (std::size_t n = 0; n < neighbors; ++n) {
        maps.emplace_back(window, ChunkSeq{1000});
        for (std::uint32_t i = 0; i < window; ++i) {
            if (holds(rng)) {
                maps.back().set(ChunkSeq{1000 + i});
            }
        }
        in.holders.push_back({NeighborId{static_cast<std::uint32_t>(n)}, &maps.back(), n == 0, 4,
                              50'000.0 + 1000.0 * static_cast<double>(n), 0, nullptr});
    }
    for (std::uint32_t i = 0; i < window; ++i) {
        in.needs.push_back({ChunkSeq{1000 + i}, std::chrono::milliseconds(250 * i), std::nullopt});
    }
    for (auto _ : state) {
        auto out = schedule(in);
        benchmark::DoNotOptimize(out);
    }
    state.SetLabel("W=" + std::to_string(window) + " neighbours=" + std::to_string(neighbors));
}
BENCHMARK(BM_SchedulerTick)->Args({64, 8})->Args({64, 32})->Args({256, 32});

}  // namespace
