// Peer scheduler: one tick (what the engine does every 100 ms) for a full window of
// missing chunks and N neighbours each holding a random 80 % of it. The source proof: what
// it costs the source to answer a Hello (with and without the nonce to sign), and a viewer
// to check the answer.
#include <benchmark/benchmark.h>

#include <random>

#include "common/core/announce_signature.hpp"
#include "common/core/peer_codec.hpp"
#include "peer/core/handshake.hpp"
#include "peer/core/peer_engine.hpp"
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

const KeyPair& bench_keys() {
    static const KeyPair keys = keypair_from_seed(KeySeed{4, 2});
    return keys;
}

EngineConfig origin_config() {
    EngineConfig c;
    c.channel = "bench";
    c.peer_id = PeerId{"source-bench"};
    c.public_key = bench_keys().public_key;
    c.source_key = bench_keys().secret_key;
    c.origin = true;
    return c;
}

// The source's whole handshake with one viewer: accept, Hello out, the viewer's Hello in,
// (SourceProof and) buffer map out, the viewer gone. range(0) = 1: the Hello has a nonce.
void BM_OriginHandshake(benchmark::State& state) {
    const bool nonce = state.range(0) == 1;
    peer::PeerEngine engine(origin_config(), 1, TimePoint{});
    wire::PeerMessage hello;
    hello.mutable_hello()->set_version(kWireVersion);
    hello.mutable_hello()->set_channel("bench");
    hello.mutable_hello()->set_peer_id("viewer");
    if (nonce) {
        hello.mutable_hello()->set_nonce(std::string(kHelloNonceBytes, 'n'));
    }
    std::uint32_t id = 1;
    for (auto _ : state) {
        const NeighborId n{id++};
        engine.on_neighbor_connected(n, "10.0.0.2:4000", false, TimePoint{});
        engine.on_message(n, hello, TimePoint{});
        benchmark::DoNotOptimize(engine.take_actions());
        engine.on_neighbor_lost(n, Errc::ok, TimePoint{});
    }
    state.SetLabel(nonce ? "with the proof" : "no nonce, no proof");
}
BENCHMARK(BM_OriginHandshake)->Arg(0)->Arg(1);

// A viewer's check of the source's proof (one Ed25519 verify per connection to the source).
void BM_SourceProofVerify(benchmark::State& state) {
    EngineConfig viewer = origin_config();
    viewer.origin = false;
    const auto proof = make_source_proof(origin_config(), std::string(kHelloNonceBytes, 'n'));
    Neighbor source;
    source.peer_id = PeerId{"source-bench"};
    source.hello_nonce = std::string(kHelloNonceBytes, 'n');
    for (auto _ : state) {
        benchmark::DoNotOptimize(source_proof_holds(viewer, source, proof->source_proof()));
    }
}
BENCHMARK(BM_SourceProofVerify);

}  // namespace
