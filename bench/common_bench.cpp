// Foundation micro-benchmarks: framing, bitmap scans, chunk signatures.
#include <benchmark/benchmark.h>

#include "common/core/chunk_bitmap.hpp"
#include "common/core/chunk_signature.hpp"
#include "common/core/frame_codec.hpp"
#include "common/core/peer_codec.hpp"

namespace p2pls {
namespace {

wire::PeerMessage chunk_message(std::size_t payload_bytes) {
    wire::PeerMessage m;
    auto* chunk = m.mutable_chunk();
    chunk->set_seq(1000);
    chunk->set_timestamp_us(1'000'000'000);
    chunk->set_duration_us(1'000'000);
    chunk->set_payload(std::string(payload_bytes, 'x'));
    chunk->set_signature(std::string(64, 's'));
    return m;
}

void BM_FrameEncodeChunk(benchmark::State& state) {
    const auto message = chunk_message(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(encode_peer_frame(message));
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FrameEncodeChunk)->Arg(64 * 1024);

void BM_FrameDecodeChunk(benchmark::State& state) {
    const auto frame = encode_peer_frame(chunk_message(static_cast<std::size_t>(state.range(0))));
    for (auto _ : state) {
        FrameDecoder decoder;
        decoder.feed(frame);
        auto body = decoder.next();
        benchmark::DoNotOptimize(parse_peer_message(**body));
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FrameDecodeChunk)->Arg(64 * 1024);

void BM_FrameDecodeBufferMaps(benchmark::State& state) {
    // Many small control frames arriving coalesced, as buffer maps do.
    wire::PeerMessage bm;
    bm.mutable_buffer_map()->set_base(100);
    bm.mutable_buffer_map()->set_window(64);
    bm.mutable_buffer_map()->set_bits(std::string(8, '\xaa'));
    std::string stream;
    for (int i = 0; i < 100; ++i) {
        stream += encode_peer_frame(bm);
    }
    for (auto _ : state) {
        FrameDecoder decoder;
        decoder.feed(stream);
        while (true) {
            auto body = decoder.next();
            if (!body || !body->has_value()) {
                break;
            }
            benchmark::DoNotOptimize(parse_peer_message(**body));
        }
    }
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_FrameDecodeBufferMaps);

void BM_BitmapMissingScan(benchmark::State& state) {
    const auto window = static_cast<std::uint32_t>(state.range(0));
    ChunkBitmap map(window, ChunkSeq{1000});
    for (std::uint32_t i = 0; i < window; i += 3) {
        map.set(ChunkSeq{1000 + i});
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(map.missing(map.base(), map.end()));
    }
}
BENCHMARK(BM_BitmapMissingScan)->Arg(64)->Arg(1024);

void BM_ChunkSign(benchmark::State& state) {
    KeySeed seed{};
    const auto keys = keypair_from_seed(seed);
    const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
    const ChunkHeader header{ChunkSeq{1}, 0, 1'000'000};
    for (auto _ : state) {
        benchmark::DoNotOptimize(sign_chunk(keys.secret_key, "bench", header, payload));
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ChunkSign)->Arg(64 * 1024);

void BM_ChunkVerify(benchmark::State& state) {
    KeySeed seed{};
    const auto keys = keypair_from_seed(seed);
    const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
    const ChunkHeader header{ChunkSeq{1}, 0, 1'000'000};
    const auto sig = sign_chunk(keys.secret_key, "bench", header, payload);
    const std::string sig_bytes(reinterpret_cast<const char*>(sig.data()), sig.size());
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            verify_chunk(keys.public_key, "bench", header, payload, sig_bytes));
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ChunkVerify)->Arg(64 * 1024);

}  // namespace
}  // namespace p2pls
