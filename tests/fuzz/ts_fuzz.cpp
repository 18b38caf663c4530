// MPEG-TS from anywhere (a broken encoder, a replayed file): the packet, PES, PAT and PMT
// parsers on single packets, and the chunker on a whole stream fed in random splits. The
// chunker's promises are checked on what it emits: seqs consecutive from first_seq, whole
// TS packets only, no chunk above the size cap, held bytes bounded by the caps.
#include <array>
#include <span>

#include "source/core/chunker.hpp"
#include "source/core/ts_packet.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace p2pls::source;

void parse_one_packet(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kTsPacketSize) {
        return;
    }
    const PacketView packet(bytes.data(), kTsPacketSize);
    const auto header = parse_ts_header(packet);
    if (!header) {
        return;
    }
    FUZZ_CHECK(header->payload_offset <= kTsPacketSize);
    const auto payload =
        bytes.subspan(header->payload_offset, kTsPacketSize - header->payload_offset);
    if (const auto pes = parse_pes_header(payload)) {
        FUZZ_CHECK(pes->header_size <= payload.size());
    }
    (void)parse_pat_first_pmt_pid(payload);
    if (const auto pmt = parse_pmt(payload)) {
        FUZZ_CHECK(pmt->size() <= kTsPacketSize);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::FuzzInput in(data, size);
    ChunkerConfig config;
    config.chunk_ms = static_cast<std::uint32_t>(in.in_range(1, 4000));
    config.max_chunk_bytes = static_cast<std::size_t>(in.in_range(kTsPacketSize, 64 * 1024));
    config.first_seq = in.integral<std::uint32_t>();
    const auto split_seed = in.integral<std::uint32_t>();
    const std::string_view stream = in.rest();

    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(stream.data()),
                                              stream.size());
    for (std::size_t at = 0; at + kTsPacketSize <= bytes.size(); at += kTsPacketSize) {
        parse_one_packet(bytes.subspan(at));
    }

    TsChunker chunker(config);
    // The chunker raises a cap below 16 packets; its own copy is the one it keeps.
    const std::size_t cap = chunker.config().max_chunk_bytes;
    std::uint64_t next_seq = config.first_seq;
    const auto check_chunks = [&] {
        for (const auto& chunk : chunker.take_chunks()) {
            FUZZ_CHECK(chunk.seq.value() == next_seq);
            ++next_seq;
            FUZZ_CHECK(!chunk.payload.empty() && chunk.payload.size() % kTsPacketSize == 0);
            FUZZ_CHECK(chunk.payload.size() <= cap);
        }
        // The chunk in progress, the packets of an access unit not yet known to be a key
        // frame (the chunker resolves at 1024) and the PSI copies waiting (at most 17).
        FUZZ_CHECK(chunker.held_bytes() <= cap + (1024 + 17) * kTsPacketSize);
    };
    // Splits from a small generator seeded by the input: every boundary gets exercised.
    std::uint32_t x = split_seed | 1U;
    for (std::size_t at = 0; at < bytes.size();) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        const std::size_t n = std::min<std::size_t>(1 + x % 700, bytes.size() - at);
        chunker.push(bytes.subspan(at, n));
        at += n;
        if ((x & 0xff) == 0) {
            chunker.on_discontinuity();
        }
        check_chunks();
    }
    chunker.finish();
    check_chunks();
    return 0;
}
