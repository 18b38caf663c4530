// Chunker throughput on a synthetic 25 fps stream (tests/unit/source/ts_builder.hpp): how
// many bytes per second the source's core can cut, against the ~70 KB/s it has to.
#include <benchmark/benchmark.h>

#include "source/core/chunker.hpp"
#include "tests/unit/source/ts_builder.hpp"

namespace {

void BM_ChunkerThroughput(benchmark::State& state) {
    p2pls::source::testing::TsBuilder builder;
    const std::string ts = builder.stream(
        {.frames = 250, .gop = 25, .frame_packets = static_cast<int>(state.range(0))});
    std::size_t chunks = 0;
    for (auto _ : state) {
        p2pls::source::TsChunker chunker({});
        for (std::size_t pos = 0; pos < ts.size(); pos += 1316) {  // mpegtsmux alignment=7
            chunker.push(std::string_view(ts).substr(pos, 1316));
        }
        chunker.finish();
        chunks += chunker.take_chunks().size();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * ts.size()));
    state.counters["chunks"] =
        static_cast<double>(chunks) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ChunkerThroughput)->Arg(3)->Arg(30);

}  // namespace
