#include "source/core/chunker.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/unit/source/ts_builder.hpp"

namespace p2pls::source {
namespace {

using testing::kAudioPid;
using testing::kPmtPid;
using testing::kVideoPid;
using testing::packets_of;
using testing::StreamSpec;
using testing::TsBuilder;

std::vector<ProducedChunk> chunk_all(const std::string& ts, ChunkerConfig config = {},
                                     bool finish = true) {
    TsChunker chunker(config);
    chunker.push(ts);
    if (finish) {
        chunker.finish();
    }
    return chunker.take_chunks();
}

// Every chunk: whole packets, PAT then PMT first, then (unless forced) the first packet of
// a video key frame before any other video packet.
void expect_self_contained(const ProducedChunk& chunk) {
    ASSERT_EQ(chunk.payload.size() % kTsPacketSize, 0u);
    const auto packets = packets_of(chunk.payload);
    ASSERT_GE(packets.size(), 3u);
    EXPECT_EQ(packets[0].pid, kPatPid);
    EXPECT_EQ(packets[1].pid, kPmtPid);
    for (const auto& p : packets) {
        if (p.pid == kVideoPid) {
            EXPECT_TRUE(p.pusi) << "chunk " << chunk.seq << " starts mid-frame";
            break;
        }
    }
}

TEST(TsChunker, CutsOnKeyFramesEveryChunkMs) {
    TsBuilder b;
    const auto chunks = chunk_all(b.stream({.frames = 125, .gop = 25}));
    ASSERT_EQ(chunks.size(), 5u);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        EXPECT_EQ(chunks[i].seq, ChunkSeq{i});
        EXPECT_EQ(chunks[i].timestamp_us, static_cast<std::int64_t>(i) * 1'000'000);
        EXPECT_EQ(chunks[i].duration_us, 1'000'000u);
        EXPECT_TRUE(chunks[i].starts_on_key_frame);
        expect_self_contained(chunks[i]);
    }
    EXPECT_EQ(chunks.back().ended_by, CutReason::end_of_stream);
    EXPECT_EQ(chunks.front().ended_by, CutReason::key_frame);
}

TEST(TsChunker, CutsAtFirstKeyFrameAtOrAfterTarget) {
    TsBuilder b;
    // Key frames every 12 frames (480 ms): 960 ms is within the 5 % tolerance of 1000 ms.
    auto chunks = chunk_all(b.stream({.frames = 96, .gop = 12}), {}, false);
    ASSERT_EQ(chunks.size(), 3u);
    for (const auto& c : chunks) {
        EXPECT_EQ(c.duration_us, 960'000u);
    }
    // Key frames every 10 frames (400 ms): the first at or after 1000 ms is 1200 ms.
    TsBuilder b2;
    chunks = chunk_all(b2.stream({.frames = 100, .gop = 10}), {}, false);
    ASSERT_EQ(chunks.size(), 3u);  // cuts at 1.2, 2.4 and 3.6 s
    EXPECT_EQ(chunks[0].duration_us, 1'200'000u);
}

TEST(TsChunker, ChunkMsIsHonoured) {
    TsBuilder b;
    const auto chunks = chunk_all(b.stream({.frames = 100, .gop = 5}), {.chunk_ms = 400}, false);
    ASSERT_EQ(chunks.size(), 9u);  // 4 s of 200 ms GOPs, the last still open
    for (const auto& c : chunks) {
        EXPECT_EQ(c.duration_us, 400'000u);
    }
}

TEST(TsChunker, ArbitrarySplitsGiveTheSameChunks) {
    TsBuilder b;
    const std::string ts = b.stream({.frames = 80, .gop = 20});
    const auto whole = chunk_all(ts);
    std::mt19937 rng(42);
    for (int round = 0; round < 5; ++round) {
        TsChunker chunker({});
        std::size_t pos = 0;
        while (pos < ts.size()) {
            const std::size_t n =
                std::min<std::size_t>(ts.size() - pos, 1 + rng() % (round == 0 ? 1 : 700));
            chunker.push(std::string_view(ts).substr(pos, n));
            pos += n;
        }
        chunker.finish();
        const auto split = chunker.take_chunks();
        ASSERT_EQ(split.size(), whole.size());
        for (std::size_t i = 0; i < split.size(); ++i) {
            EXPECT_EQ(split[i].payload, whole[i].payload);
            EXPECT_EQ(split[i].duration_us, whole[i].duration_us);
        }
    }
}

TEST(TsChunker, ResynchronisesAfterGarbage) {
    TsBuilder b;
    const std::string ts = b.stream({.frames = 100, .gop = 25});
    // 100 bytes of junk at three places, one of them mid-packet.
    std::string damaged = std::string(77, '\x47') + ts.substr(0, 188 * 40 + 17) +
                          std::string(100, '\x12') + ts.substr(188 * 40 + 17, 188 * 300) +
                          std::string(100, '\x47') + ts.substr(188 * 40 + 17 + 188 * 300);
    TsChunker chunker({});
    chunker.push(damaged);
    chunker.finish();
    const auto chunks = chunker.take_chunks();
    EXPECT_GE(chunker.stats().sync_losses, 1u);
    EXPECT_GT(chunker.stats().skipped_bytes, 0u);
    ASSERT_EQ(chunks.size(), 4u);
    for (const auto& c : chunks) {
        expect_self_contained(c);
    }
}

TEST(TsChunker, InsertsTablesWhenTheMuxSendsThemOnlyOnce) {
    TsBuilder b;
    const auto chunks = chunk_all(b.stream({.frames = 100, .gop = 25, .tables_every_key = false}));
    ASSERT_EQ(chunks.size(), 4u);
    for (const auto& c : chunks) {
        expect_self_contained(c);
        // No other copy of the tables: exactly one PAT and one PMT.
        int tables = 0;
        for (const auto& p : packets_of(c.payload)) {
            tables += (p.pid == kPatPid || p.pid == kPmtPid) ? 1 : 0;
        }
        EXPECT_EQ(tables, 2);
    }
}

TEST(TsChunker, TablesBeforeAKeyFrameMoveWithIt) {
    TsBuilder b;
    const auto chunks = chunk_all(b.stream({.frames = 50, .gop = 25, .tables_every_key = true}));
    ASSERT_EQ(chunks.size(), 2u);
    // The muxer's own PAT/PMT before the second key frame are not left at the end of the
    // first chunk, nor duplicated at the start of the second.
    const auto first = packets_of(chunks[0].payload);
    EXPECT_NE(first.back().pid, kPmtPid);
    const auto second = packets_of(chunks[1].payload);
    EXPECT_EQ(second[0].pid, kPatPid);
    EXPECT_EQ(second[1].pid, kPmtPid);
    EXPECT_EQ(second[2].pid, kVideoPid);
}

TEST(TsChunker, FindsKeyFramesWithoutRandomAccessIndicator) {
    TsBuilder b;
    const auto chunks = chunk_all(
        b.stream({.frames = 100, .gop = 25, .rai = false, .slice_in_second_packet = true}));
    ASSERT_EQ(chunks.size(), 4u);
    for (const auto& c : chunks) {
        EXPECT_TRUE(c.starts_on_key_frame);
        expect_self_contained(c);
    }
}

TEST(TsChunker, KeepsAudioPackets) {
    TsBuilder b;
    const auto chunks = chunk_all(b.stream({.frames = 50, .gop = 25}));
    ASSERT_EQ(chunks.size(), 2u);
    int audio = 0;
    for (const auto& p : packets_of(chunks[0].payload)) {
        audio += p.pid == kAudioPid ? 1 : 0;
    }
    EXPECT_EQ(audio, 25);
}

TEST(TsChunker, DropsEverythingBeforeTheFirstKeyFrame) {
    TsBuilder b;
    TsChunker chunker({});
    chunker.push(b.stream({.frames = 50, .gop = 25, .leading_non_key = 7}));
    chunker.finish();
    const auto chunks = chunker.take_chunks();
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_GE(chunker.stats().packets_before_key, 7u * 3);
    EXPECT_EQ(chunks[0].timestamp_us, 0);
    expect_self_contained(chunks[0]);
}

TEST(TsChunker, PtsWrapKeepsDurationsAndTimestamps) {
    TsBuilder b;
    const std::uint64_t near_wrap = (std::uint64_t{1} << 33) - 2 * 90000 - 1234;
    const auto chunks =
        chunk_all(b.stream({.frames = 125, .gop = 25, .first_pts = near_wrap}), {}, false);
    ASSERT_EQ(chunks.size(), 4u);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        EXPECT_EQ(chunks[i].duration_us, 1'000'000u);
        EXPECT_EQ(chunks[i].timestamp_us, static_cast<std::int64_t>(i) * 1'000'000);
    }
}

TEST(TsChunker, RestartCutsAtTheNextKeyFrameAndKeepsTimeMonotonic) {
    TsBuilder b;
    // 1.6 s of stream, then the stream restarts from PTS 0 (a looped file).
    std::string ts = b.stream({.frames = 40, .gop = 25, .first_pts = 5'000'000});
    TsBuilder b2;
    ts += b2.stream({.frames = 50, .gop = 25, .first_pts = 0});
    const auto chunks = chunk_all(ts, {}, false);
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[0].duration_us, 1'000'000u);
    EXPECT_EQ(chunks[1].duration_us, 600'000u);  // 15 frames, then the restart
    EXPECT_EQ(chunks[2].timestamp_us, 1'600'000);
    EXPECT_EQ(chunks[2].duration_us, 1'000'000u);
}

TEST(TsChunker, ExplicitDiscontinuityDropsPartialPacket) {
    TsBuilder b;
    const std::string a = b.stream({.frames = 30, .gop = 25});
    TsBuilder b2;
    const std::string c = b2.stream({.frames = 50, .gop = 25, .first_pts = 0});
    TsChunker chunker({});
    chunker.push(std::string_view(a).substr(0, a.size() - 100));  // cut mid-packet
    chunker.on_discontinuity();
    chunker.push(c);
    chunker.finish();
    const auto chunks = chunker.take_chunks();
    ASSERT_EQ(chunks.size(), 4u);
    for (const auto& ch : chunks) {
        expect_self_contained(ch);
    }
    for (std::size_t i = 1; i < chunks.size(); ++i) {
        EXPECT_GT(chunks[i].timestamp_us, chunks[i - 1].timestamp_us);
    }
}

TEST(TsChunker, ForcesACutWithoutKeyFrames) {
    TsBuilder b;
    // One key frame, then 10 s of non-key frames.
    const auto chunks = chunk_all(b.stream({.frames = 250, .gop = 100000}), {.chunk_ms = 1000});
    ASSERT_GE(chunks.size(), 2u);
    EXPECT_TRUE(chunks[0].starts_on_key_frame);
    EXPECT_EQ(chunks[0].ended_by, CutReason::duration_cap);
    EXPECT_EQ(chunks[0].duration_us, 4'000'000u);
    EXPECT_FALSE(chunks[1].starts_on_key_frame);
    for (const auto& c : chunks) {
        expect_self_contained(c);
    }
}

TEST(TsChunker, SizeCapBoundsAChunk) {
    TsBuilder b;
    ChunkerConfig config;
    config.max_chunk_bytes = 100 * 1024;
    TsChunker chunker(config);
    chunker.push(b.stream({.frames = 50, .gop = 50, .frame_packets = 60}));  // 11 KB frames
    chunker.finish();
    const auto chunks = chunker.take_chunks();
    ASSERT_GE(chunks.size(), 5u);
    EXPECT_GE(chunker.stats().forced_cuts, 4u);
    for (const auto& c : chunks) {
        EXPECT_LE(c.payload.size(), config.max_chunk_bytes);
        EXPECT_EQ(packets_of(c.payload)[0].pid, kPatPid);
    }
    EXPECT_EQ(chunks[0].ended_by, CutReason::size_cap);
}

TEST(TsChunker, SizeCapHoldsWhenTablesComeBeforeEveryFrame) {
    // Regression: PAT/PMT waiting to join the chunk were once appended past the cap.
    TsBuilder b;
    std::string ts = b.pat() + b.pmt() + b.video_frame(900000, true, true, 5, false);
    for (int f = 1; f < 200; ++f) {
        ts += b.pat() + b.pmt() + b.video_frame(900000 + 3600 * f, false, false, 5, false);
    }
    ChunkerConfig config;
    config.max_chunk_bytes = 16207;  // not a whole number of packets
    TsChunker chunker(config);
    chunker.push(ts);
    chunker.finish();
    const auto chunks = chunker.take_chunks();
    ASSERT_GE(chunks.size(), 10u);
    for (const auto& c : chunks) {
        EXPECT_LE(c.payload.size(), config.max_chunk_bytes);
        expect_self_contained(c);
    }
}

TEST(TsChunker, RandomBytesNeverProduceChunksOrGrowMemory) {
    std::mt19937 rng(7);
    TsChunker chunker({});
    std::string junk(64 * 1024, '\0');
    for (int round = 0; round < 64; ++round) {  // 4 MiB
        for (auto& c : junk) {
            c = static_cast<char>(rng());
        }
        chunker.push(junk);
        EXPECT_LT(chunker.held_bytes(), 512 * 1024u);
    }
    chunker.finish();
    EXPECT_TRUE(chunker.take_chunks().empty());
}

TEST(TsChunker, MutatedStreamsNeverCrashAndStayBounded) {
    // Flipped, deleted and inserted bytes, random splits, restarts and caps.
    TsBuilder b;
    const std::string ts = b.stream({.frames = 120, .gop = 10, .slice_in_second_packet = true});
    std::mt19937 rng(11);
    std::size_t produced = 0;
    for (int round = 0; round < 1500; ++round) {
        std::string s = ts;
        const int ops = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < ops && !s.empty(); ++i) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 4) {
                case 0:
                    s[at] = static_cast<char>(rng());
                    break;
                case 1:
                    s.erase(at, rng() % 400);
                    break;
                case 2:
                    s.insert(at, std::string(rng() % 300, static_cast<char>(rng())));
                    break;
                default:
                    s[at] = static_cast<char>(kTsSyncByte);
                    break;
            }
        }
        ChunkerConfig config;
        config.chunk_ms = 100 + static_cast<std::uint32_t>(rng() % 2000);
        config.max_chunk_bytes = 4000 + rng() % 200000;
        config.max_chunk_ms = static_cast<std::uint32_t>(rng() % 5000);
        TsChunker chunker(config);
        std::size_t pos = 0;
        while (pos < s.size()) {
            const std::size_t n = std::min<std::size_t>(s.size() - pos, 1 + rng() % 3000);
            chunker.push(std::string_view(s).substr(pos, n));
            pos += n;
            if (rng() % 50 == 0) {
                chunker.on_discontinuity();
            }
            EXPECT_LE(chunker.held_bytes(), config.max_chunk_bytes + 1100 * kTsPacketSize);
        }
        chunker.finish();
        for (const auto& c : chunker.take_chunks()) {
            ASSERT_LE(c.payload.size(), config.max_chunk_bytes);
            ASSERT_EQ(c.payload.size() % kTsPacketSize, 0u);
            ++produced;
        }
    }
    EXPECT_GT(produced, 1000u);  // damaged streams still yield chunks
}

TEST(TsChunker, SequenceAndTimestampBaseFromConfig) {
    TsBuilder b;
    const auto chunks = chunk_all(b.stream({.frames = 50, .gop = 25}),
                                  {.first_seq = 1000, .timestamp_base_us = 1'700'000'000'000'000});
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[0].seq, ChunkSeq{1000});
    EXPECT_EQ(chunks[1].seq, ChunkSeq{1001});
    EXPECT_EQ(chunks[1].timestamp_us, 1'700'000'001'000'000);
}

}  // namespace
}  // namespace p2pls::source
