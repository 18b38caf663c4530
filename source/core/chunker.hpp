// The chunker: cuts the MPEG-TS byte stream that the muxer produces into chunks that
// each start on a video key frame and carry PAT and PMT, so that any chunk decodes on its
// own (DESIGN.md §2). Sans-IO: bytes in, chunks out; it reads no clock — chunk times come
// from the stream's own PTS (90 kHz), so durations follow the stream clock.
//
// Cut rule: at the first key frame whose PTS is at least `chunk_ms` (less a small
// tolerance for frame rounding) after the current chunk's first key frame. A key frame is
// an access unit whose first TS packet has random_access_indicator set or whose PES
// carries an IDR slice (NAL type 5). The newest PAT and PMT packets are copied to the
// front of every chunk. Copies are byte-identical to the last ones the muxer sent, so
// chunks played back to back see at most one duplicate packet per PID, which the TS
// standard allows: continuity counters need no rewriting.
//
// Bounded memory: a chunk that grows past `max_chunk_bytes`, or past `max_chunk_ms` of
// stream time without a key frame, is cut anyway (and flagged, so the caller can say so).
// Nothing is kept before the first key frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/core/ids.hpp"
#include "source/core/ts_packet.hpp"

namespace p2pls::source {

struct ChunkerConfig {
    std::uint32_t chunk_ms = 1000;  // target chunk duration, ms of stream time
    // A key frame this much earlier than chunk_ms still cuts: absorbs frame rounding
    // (e.g. 29.97 fps and 1000 ms), percent of chunk_ms.
    std::uint32_t tolerance_percent = 5;
    std::uint32_t max_chunk_ms = 0;  // forced cut; 0 = 4 x chunk_ms
    std::size_t max_chunk_bytes =
        3 * 1024 * 1024;                 // forced cut (the peer wire caps frames at 4 MiB)
    std::uint64_t first_seq = 0;         // seq of the first chunk
    std::int64_t timestamp_base_us = 0;  // timestamp of the first chunk
};

enum class CutReason {
    key_frame,      // normal: the next chunk starts on a key frame
    size_cap,       // no key frame before max_chunk_bytes
    duration_cap,   // no key frame before max_chunk_ms
    end_of_stream,  // finish() flushed the last chunk
};

struct ProducedChunk {
    ChunkSeq seq;
    std::int64_t timestamp_us = 0;  // stream time of the first frame, + timestamp_base_us
    std::uint32_t duration_us = 0;  // to the next chunk's first frame
    std::string payload;            // whole TS packets, PAT and PMT first
    bool starts_on_key_frame = true;
    CutReason ended_by = CutReason::key_frame;  // why this chunk ended
};

struct ChunkerStats {
    std::uint64_t bytes_in = 0;
    std::uint64_t packets = 0;
    std::uint64_t skipped_bytes = 0;  // bytes dropped while (re)synchronising
    std::uint64_t sync_losses = 0;
    std::uint64_t bad_packets = 0;         // transport_error or inconsistent header
    std::uint64_t packets_before_key = 0;  // dropped before the first key frame
    std::uint64_t key_frames = 0;
    std::uint64_t pts_discontinuities = 0;
    std::uint64_t chunks = 0;
    std::uint64_t forced_cuts = 0;
};

class TsChunker {
  public:
    explicit TsChunker(ChunkerConfig config);

    // Feeds bytes of the TS stream, split anywhere.
    void push(std::span<const std::uint8_t> bytes);
    void push(std::string_view bytes);

    // The stream restarted (e.g. a looped input): drops a partial packet, and the next key
    // frame starts a new chunk whatever its PTS.
    void on_discontinuity();

    // End of stream: emits the chunk in progress (ended_by = end_of_stream).
    void finish();

    // Chunks completed since the last call, in seq order.
    std::vector<ProducedChunk> take_chunks();

    [[nodiscard]] const ChunkerStats& stats() const noexcept { return stats_; }
    [[nodiscard]] const ChunkerConfig& config() const noexcept { return config_; }
    [[nodiscard]] std::optional<std::uint16_t> video_pid() const noexcept { return video_pid_; }
    // Bytes held now (current chunk + undecided packets): bounded by the caps.
    [[nodiscard]] std::size_t held_bytes() const noexcept;

  private:
    void on_packet(const TsPacket& packet);
    void on_psi(const TsPacket& packet, const TsHeader& header);
    void on_video_unit_start(const TsPacket& packet, const TsHeader& header);
    void scan_held_video(std::span<const std::uint8_t> es_bytes);
    void resolve(bool key_frame);
    void commit(const TsPacket& packet);  // after any waiting PSI packets
    void append(const TsPacket& packet);  // to the current chunk, cutting at the size cap
    void flush_psi_tail();
    void start_chunk(std::int64_t pts, bool key_frame);
    void end_chunk(std::int64_t end_pts, CutReason reason);
    std::int64_t extend_pts(std::uint64_t pts33);
    [[nodiscard]] std::int64_t to_us(std::int64_t pts) const;
    [[nodiscard]] std::int64_t max_ext_pts() const noexcept { return max_ext_pts_; }

    ChunkerConfig config_;
    std::int64_t target_ticks_;  // chunk_ms less tolerance, 90 kHz
    std::int64_t max_ticks_;     // max_chunk_ms, 90 kHz
    TsPacketReader reader_;
    ChunkerStats stats_;

    // Program tables.
    std::optional<TsPacket> pat_;
    std::optional<TsPacket> pmt_;
    std::optional<std::uint16_t> pmt_pid_;
    std::optional<std::uint16_t> video_pid_;

    // PTS unwrapping: a 64-bit stream time that survives 33-bit wrap and restarts.
    bool have_pts_ = false;
    std::uint64_t last_pts33_ = 0;
    std::int64_t last_ext_pts_ = 0;
    std::int64_t max_ext_pts_ = 0;     // furthest frame so far (B-frames step back)
    std::int64_t frame_ticks_ = 3600;  // last forward step between frames (40 ms at start)
    bool rebase_next_pts_ = false;
    std::optional<std::int64_t> origin_pts_;  // first chunk's start

    // A video access unit whose key-frame status is not known yet: its first packet and
    // every packet after it are held until the first slice NAL shows up.
    bool deciding_ = false;
    std::vector<TsPacket> held_;
    std::optional<std::int64_t> held_pts_;
    NalScanner nal_scanner_;
    bool held_key_ = false;

    // PSI packets seen since the last other packet: they belong to the next chunk if it
    // starts right after them.
    std::vector<TsPacket> psi_tail_;

    // The chunk in progress.
    bool in_chunk_ = false;
    bool cut_at_next_key_ = false;  // after a discontinuity
    std::string current_;
    std::int64_t current_start_pts_ = 0;
    bool current_key_start_ = false;
    std::uint64_t next_seq_;

    std::vector<ProducedChunk> done_;
};

const char* to_string(CutReason reason) noexcept;

}  // namespace p2pls::source
