// Runs the real p2pls-source for a few seconds with --record and checks what it made:
// every chunk verifies under the channel key, every chunk decodes ALONE to frames, chunk
// durations are within 10 % of --chunk-ms, and a single changed bit fails verification.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/core/chunk_signature.hpp"
#include "p2pls/peer.pb.h"
#include "source/core/signed_chunk.hpp"
#include "tests/media/source/decode_alone.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Recorded {
    wire::Chunk chunk;
    bool key_start = false;
    std::string ended_by;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::vector<Recorded> load_recording(const fs::path& dir) {
    std::vector<Recorded> chunks;
    std::ifstream index(dir / "index.tsv");
    std::string line;
    std::getline(index, line);  // header
    while (std::getline(index, line)) {
        std::istringstream row(line);
        std::uint64_t seq = 0;
        std::int64_t ts = 0;
        std::uint32_t duration = 0;
        std::size_t size = 0;
        int key = 0;
        std::string ended_by;
        std::string sig;
        row >> seq >> ts >> duration >> size >> key >> ended_by >> sig;
        Recorded r;
        r.chunk.set_seq(seq);
        r.chunk.set_timestamp_us(ts);
        r.chunk.set_duration_us(duration);
        char name[32];
        std::snprintf(name, sizeof name, "%06llu.ts", static_cast<unsigned long long>(seq));
        r.chunk.set_payload(read_file(dir / name));
        EXPECT_EQ(r.chunk.payload().size(), size);
        r.chunk.set_signature(from_hex(sig));
        r.key_start = key == 1;
        r.ended_by = ended_by;
        chunks.push_back(std::move(r));
    }
    return chunks;
}

class SourceMedia : public ::testing::Test {
  protected:
    std::vector<std::string> argv(std::vector<std::string> extra) const {
        std::vector<std::string> a = {bin_path("p2pls-source"),
                                      "--key",
                                      (dir_ / "k.key").string(),
                                      "--record",
                                      (dir_ / "rec").string(),
                                      "--listen",
                                      "127.0.0.1:0",
                                      "--channel",
                                      "media-test"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

    PublicKey public_key() const {
        const auto seed = source::parse_key_file(read_file(dir_ / "k.key"));
        EXPECT_TRUE(seed.has_value());
        const auto keys = keypair_from_seed(*seed);
        EXPECT_EQ(read_file(dir_ / "rec" / "public_key.hex"),
                  source::to_hex(keys.public_key) + "\n");
        return keys.public_key;
    }

    // The run's source epoch from the recording's epoch.hex (32 hex digits).
    SourceEpoch epoch() const {
        const std::string hex = read_file(dir_ / "rec" / "epoch.hex");
        SourceEpoch e{};
        EXPECT_GE(hex.size(), 2 * e.size());
        for (std::size_t i = 0; i < e.size() && 2 * i + 1 < hex.size(); ++i) {
            e[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        }
        return e;
    }

    // Every chunk verifies, decodes alone, starts on a key frame; durations within 10 %.
    std::vector<Recorded> check_recording(std::uint32_t chunk_ms, std::size_t min_chunks,
                                          int min_frames) {
        const auto key = public_key();
        auto chunks = load_recording(dir_ / "rec");
        EXPECT_GE(chunks.size(), min_chunks);
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            const auto& r = chunks[i];
            SCOPED_TRACE("chunk " + std::to_string(r.chunk.seq()));
            EXPECT_EQ(r.chunk.seq(), i);
            EXPECT_TRUE(verify_chunk(key, "media-test", r.chunk, epoch()).has_value());
            // The signature covers this run's epoch: under another one it does not verify.
            EXPECT_FALSE(verify_chunk(key, "media-test", r.chunk, SourceEpoch{}).has_value());
            EXPECT_TRUE(r.key_start);
            std::string error;
            const int frames = decode_alone(r.chunk.payload(), &error);
            EXPECT_GE(frames, 1) << error;
            const bool last = i + 1 == chunks.size();
            if (!last) {
                EXPECT_GE(frames, min_frames) << error;
                EXPECT_EQ(r.ended_by, "key_frame");
                EXPECT_NEAR(r.chunk.duration_us(), chunk_ms * 1000.0, chunk_ms * 100.0);
                EXPECT_EQ(chunks[i + 1].chunk.timestamp_us(),
                          r.chunk.timestamp_us() + r.chunk.duration_us());
            }
        }
        return chunks;
    }

    const TempDir tmp_{"p2pls-source-media"};
    const fs::path dir_ = tmp_.path();
};

TEST_F(SourceMedia, LiveChunksVerifyAndEachDecodesAlone) {
    const auto [code, out] = run(argv({"--duration", "4.2", "--width", "320", "--height", "180",
                                       "--fps", "25", "--bitrate", "400", "--chunk-ms", "1000"}),
                                 60s);
    ASSERT_EQ(code, 0) << out;
    const auto chunks = check_recording(1000, 3, 20);

    // Back to back, the chunks are one clean stream: every frame of every chunk decodes
    // (the repeated PAT/PMT copies do not disturb a decoder).
    std::string all;
    int frames = 0;
    for (const auto& r : chunks) {
        all += r.chunk.payload();
        frames += decode_alone(r.chunk.payload());
    }
    EXPECT_EQ(decode_alone(all), frames);

    // Any single-bit change fails verification (sampled bits of a real chunk, the first
    // and last bytes included).
    const auto key = public_key();
    const wire::Chunk& original = chunks[1].chunk;
    std::mt19937 rng(3);
    const std::size_t bits = original.payload().size() * 8;
    std::vector<std::size_t> positions = {0, 7, bits - 1, bits - 8};
    for (int i = 0; i < 300; ++i) {
        positions.push_back(rng() % bits);
    }
    for (const std::size_t bit : positions) {
        wire::Chunk changed = original;
        std::string p = original.payload();
        p[bit / 8] = static_cast<char>(p[bit / 8] ^ (1 << (bit % 8)));
        changed.set_payload(p);
        EXPECT_FALSE(verify_chunk(key, "media-test", changed, epoch()).has_value()) << bit;
    }
    // The decode check has teeth: without its PAT/PMT the same chunk decodes to nothing.
    EXPECT_EQ(decode_alone(original.payload().substr(2 * 188)), 0);

    wire::Chunk reseq = original;
    reseq.set_seq(original.seq() + 1);
    EXPECT_FALSE(verify_chunk(key, "media-test", reseq, epoch()).has_value());
}

TEST_F(SourceMedia, ShortChunksWithAudio) {
    const auto [code, out] = run(argv({"--duration", "3.2", "--width", "320", "--height", "180",
                                       "--fps", "20", "--chunk-ms", "500", "--audio"}),
                                 60s);
    ASSERT_EQ(code, 0) << out;
    check_recording(500, 4, 9);
}

TEST_F(SourceMedia, FirstSeqContinuesNumbering) {
    const auto [code, out] =
        run(argv({"--duration", "2.2", "--width", "160", "--height", "90", "--first-seq", "5000"}),
            60s);
    ASSERT_EQ(code, 0) << out;
    const auto chunks = load_recording(dir_ / "rec");
    ASSERT_GE(chunks.size(), 2u);
    EXPECT_EQ(chunks[0].chunk.seq(), 5000u);
    EXPECT_EQ(chunks[1].chunk.seq(), 5001u);
    EXPECT_TRUE(fs::exists(dir_ / "rec" / "005000.ts"));
    EXPECT_TRUE(verify_chunk(public_key(), "media-test", chunks[1].chunk, epoch()).has_value());
}

TEST_F(SourceMedia, ReplayOfARecordingIsPacedAndRechunked) {
    // A first run makes a TS file; --replay then re-chunks it without an encoder.
    auto [code, out] = run(argv({"--duration", "3.2", "--width", "160", "--height", "90"}), 60s);
    ASSERT_EQ(code, 0) << out;
    std::string ts;
    for (const auto& r : load_recording(dir_ / "rec")) {
        ts += r.chunk.payload();
    }
    std::ofstream(dir_ / "clip.ts", std::ios::binary) << ts;
    fs::remove_all(dir_ / "rec");
    const auto start = std::chrono::steady_clock::now();
    std::tie(code, out) = run(argv({"--replay", (dir_ / "clip.ts").string()}), 60s);
    ASSERT_EQ(code, 0) << out;  // ends by itself at the end of the file
    // Paced at real time: ~3 s of stream cannot replay in a few hundred ms.
    EXPECT_GT(std::chrono::steady_clock::now() - start, 2s);
    check_recording(1000, 3, 20);
}

TEST_F(SourceMedia, InputFileIsReencoded) {
    auto [code, out] = run(argv({"--duration", "2.2", "--width", "320", "--height", "180"}), 60s);
    ASSERT_EQ(code, 0) << out;
    std::string ts;
    for (const auto& r : load_recording(dir_ / "rec")) {
        ts += r.chunk.payload();
    }
    std::ofstream(dir_ / "clip.ts", std::ios::binary) << ts;
    fs::remove_all(dir_ / "rec");
    std::tie(code, out) = run(argv({"--input", (dir_ / "clip.ts").string(), "--width", "160",
                                    "--height", "90", "--fps", "25"}),
                              60s);
    ASSERT_EQ(code, 0) << out;
    check_recording(1000, 2, 20);
}

TEST_F(SourceMedia, SigintStopsCleanlyAndKeepsTheLastChunk) {
    ChildProcess child(argv({"--width", "160", "--height", "90"}));
    // Wait until two chunks are on disk, then interrupt.
    wait_until([&] { return fs::exists(dir_ / "rec" / "000001.ts"); }, 30s);
    ASSERT_TRUE(fs::exists(dir_ / "rec" / "000001.ts")) << child.output();
    child.signal(SIGINT);
    const auto code = child.wait(15s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << child.output();
    const auto chunks = check_recording(1000, 2, 20);
    EXPECT_EQ(chunks.back().ended_by, "end_of_stream");
}

}  // namespace
}  // namespace p2pls::testing
