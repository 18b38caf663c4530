#include "source/core/chunker.hpp"

#include <algorithm>
#include <limits>

namespace p2pls::source {
namespace {

constexpr std::int64_t kTicksPerMs = 90;
constexpr std::int64_t kPtsMask = (std::int64_t{1} << 33) - 1;
constexpr std::int64_t kPtsHalf = std::int64_t{1} << 32;
// A PTS step outside [-1 s, +10 s] between video frames is a restart, not a wrap or a
// B-frame reordering: the stream clock then continues one frame after the last PTS.
constexpr std::int64_t kMaxBackTicks = 1000 * kTicksPerMs;
constexpr std::int64_t kMaxJumpTicks = 10'000 * kTicksPerMs;
// An access unit whose first slice does not show up within this many packets (~190 KB)
// is treated as not a key frame, so undecided packets stay bounded.
constexpr std::size_t kMaxHeldPackets = 1024;
// PSI packets in a row beyond this go to the current chunk instead of waiting.
constexpr std::size_t kMaxPsiTail = 16;
// Input is fed to the packet reader in slices so that its buffer stays small.
constexpr std::size_t kPushSlice = 64 * 1024;

std::span<const std::uint8_t> payload_of(const TsPacket& packet, const TsHeader& header) {
    if (!header.has_payload) {
        return {};
    }
    return std::span<const std::uint8_t>(packet).subspan(header.payload_offset);
}

}  // namespace

const char* to_string(CutReason reason) noexcept {
    switch (reason) {
        case CutReason::key_frame:
            return "key_frame";
        case CutReason::size_cap:
            return "size_cap";
        case CutReason::duration_cap:
            return "duration_cap";
        case CutReason::end_of_stream:
            return "end_of_stream";
    }
    return "unknown";
}

TsChunker::TsChunker(ChunkerConfig config)
    : config_(config),
      target_ticks_(static_cast<std::int64_t>(config.chunk_ms) * kTicksPerMs *
                    (100 - std::min<std::uint32_t>(config.tolerance_percent, 50)) / 100),
      max_ticks_(static_cast<std::int64_t>(config.max_chunk_ms != 0 ? config.max_chunk_ms
                                                                    : 4 * config.chunk_ms) *
                 kTicksPerMs),
      next_seq_(config.first_seq) {
    if (config_.max_chunk_bytes < 16 * kTsPacketSize) {
        config_.max_chunk_bytes = 16 * kTsPacketSize;
    }
}

void TsChunker::push(std::string_view bytes) {
    push(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                       bytes.size()));
}

void TsChunker::push(std::span<const std::uint8_t> bytes) {
    stats_.bytes_in += bytes.size();
    while (!bytes.empty()) {
        const std::size_t n = std::min(bytes.size(), kPushSlice);
        reader_.push(bytes.first(n));
        bytes = bytes.subspan(n);
        while (auto packet = reader_.next()) {
            on_packet(*packet);
        }
    }
    stats_.skipped_bytes = reader_.skipped_bytes();
    stats_.sync_losses = reader_.sync_losses();
}

void TsChunker::on_packet(const TsPacket& packet) {
    ++stats_.packets;
    const auto header = parse_ts_header(packet);
    if (!header || header->transport_error) {
        ++stats_.bad_packets;
        return;
    }
    if (header->pid == kPatPid || (pmt_pid_ && header->pid == *pmt_pid_)) {
        on_psi(packet, *header);
        return;
    }
    const bool is_video = video_pid_ && header->pid == *video_pid_;
    if (is_video && header->payload_unit_start) {
        on_video_unit_start(packet, *header);
        return;
    }
    if (deciding_) {
        held_.push_back(packet);
        if (is_video) {
            scan_held_video(payload_of(packet, *header));
        }
        if (deciding_ && held_.size() >= kMaxHeldPackets) {
            resolve(held_key_);
        }
        return;
    }
    commit(packet);
}

void TsChunker::on_psi(const TsPacket& packet, const TsHeader& header) {
    if (header.payload_unit_start) {
        const auto payload = payload_of(packet, header);
        if (header.pid == kPatPid) {
            if (const auto pmt_pid = parse_pat_first_pmt_pid(payload)) {
                pat_ = packet;
                if (pmt_pid_ != pmt_pid) {
                    pmt_pid_ = pmt_pid;
                    pmt_.reset();
                }
            }
        } else if (const auto streams = parse_pmt(payload)) {
            pmt_ = packet;
            const auto video = std::find_if(streams->begin(), streams->end(), [](const EsInfo& es) {
                return es.stream_type == kStreamTypeH264;
            });
            if (video != streams->end()) {
                video_pid_ = video->pid;
            }
        }
    }
    if (deciding_) {
        held_.push_back(packet);
        return;
    }
    psi_tail_.push_back(packet);
    if (psi_tail_.size() > kMaxPsiTail) {
        flush_psi_tail();
    }
}

void TsChunker::on_video_unit_start(const TsPacket& packet, const TsHeader& header) {
    if (deciding_) {
        resolve(held_key_);  // the previous unit showed no slice: not a key frame
    }
    const auto payload = payload_of(packet, header);
    const auto pes = parse_pes_header(payload);
    held_pts_.reset();
    if (pes && pes->pts) {
        held_pts_ = extend_pts(*pes->pts);
    }
    deciding_ = true;
    held_.clear();
    held_.push_back(packet);
    held_key_ = header.random_access;
    nal_scanner_.reset();
    if (held_key_) {
        resolve(true);
        return;
    }
    scan_held_video(pes ? payload.subspan(std::min(pes->header_size, payload.size())) : payload);
}

void TsChunker::scan_held_video(std::span<const std::uint8_t> es_bytes) {
    const bool decided = nal_scanner_.scan(es_bytes, [this](std::uint8_t nal_type) {
        if (nal_type == 5) {  // IDR slice
            held_key_ = true;
            return true;
        }
        if (nal_type >= 1 && nal_type <= 4) {  // non-IDR slice or partition
            return true;
        }
        return false;  // AUD, SEI, SPS, PPS...: keep looking
    });
    if (decided) {
        resolve(held_key_);
    }
}

void TsChunker::resolve(bool key_frame) {
    deciding_ = false;
    const std::int64_t pts = held_pts_.value_or(last_ext_pts_);
    if (key_frame) {
        ++stats_.key_frames;
    }
    if (key_frame && !in_chunk_) {
        stats_.packets_before_key += psi_tail_.size();
        psi_tail_.clear();  // the chunk starts with the newest copies anyway
        start_chunk(pts, true);
    } else if (key_frame && (cut_at_next_key_ || pts - current_start_pts_ >= target_ticks_)) {
        psi_tail_.clear();
        end_chunk(pts, CutReason::key_frame);
        start_chunk(pts, true);
    } else if (!key_frame && in_chunk_ && held_pts_ && pts - current_start_pts_ >= max_ticks_) {
        flush_psi_tail();
        end_chunk(pts, CutReason::duration_cap);
        start_chunk(pts, false);
    }
    for (const auto& packet : held_) {
        commit(packet);
    }
    held_.clear();
}

void TsChunker::flush_psi_tail() {
    std::vector<TsPacket> tail;
    tail.swap(psi_tail_);
    for (const auto& packet : tail) {
        append(packet);
    }
}

void TsChunker::commit(const TsPacket& packet) {
    flush_psi_tail();
    append(packet);
}

void TsChunker::append(const TsPacket& packet) {
    if (!in_chunk_) {
        ++stats_.packets_before_key;
        return;
    }
    if (current_.size() + kTsPacketSize > config_.max_chunk_bytes) {
        end_chunk(max_ext_pts(), CutReason::size_cap);
        start_chunk(max_ext_pts(), false);
    }
    current_.append(reinterpret_cast<const char*>(packet.data()), packet.size());
}

void TsChunker::start_chunk(std::int64_t pts, bool key_frame) {
    in_chunk_ = true;
    cut_at_next_key_ = false;
    current_.clear();
    current_.reserve(64 * 1024);
    for (const auto* table : {&pat_, &pmt_}) {
        if (*table) {
            current_.append(reinterpret_cast<const char*>((*table)->data()), kTsPacketSize);
        }
    }
    current_start_pts_ = pts;
    current_key_start_ = key_frame;
    if (!origin_pts_) {
        origin_pts_ = pts;
    }
}

void TsChunker::end_chunk(std::int64_t end_pts, CutReason reason) {
    if (!in_chunk_) {
        return;
    }
    ProducedChunk chunk;
    chunk.seq = ChunkSeq{next_seq_++};
    chunk.timestamp_us = to_us(current_start_pts_);
    const std::int64_t duration_us =
        std::max<std::int64_t>(0, (end_pts - current_start_pts_) * 100 / 9);
    chunk.duration_us = static_cast<std::uint32_t>(
        std::min<std::int64_t>(duration_us, std::numeric_limits<std::uint32_t>::max()));
    chunk.payload = std::move(current_);
    current_ = std::string();
    chunk.starts_on_key_frame = current_key_start_;
    chunk.ended_by = reason;
    if (reason == CutReason::size_cap || reason == CutReason::duration_cap) {
        ++stats_.forced_cuts;
    }
    ++stats_.chunks;
    done_.push_back(std::move(chunk));
    in_chunk_ = false;
}

std::int64_t TsChunker::extend_pts(std::uint64_t pts33) {
    const auto raw = static_cast<std::int64_t>(pts33) & kPtsMask;
    if (!have_pts_) {
        have_pts_ = true;
        last_pts33_ = static_cast<std::uint64_t>(raw);
        last_ext_pts_ = raw;
        max_ext_pts_ = raw;
        return raw;
    }
    std::int64_t delta = (raw - static_cast<std::int64_t>(last_pts33_)) & kPtsMask;
    if (delta >= kPtsHalf) {
        delta -= kPtsMask + 1;  // a step backwards (B-frames) or across the wrap
    }
    if (rebase_next_pts_ || delta < -kMaxBackTicks || delta > kMaxJumpTicks) {
        rebase_next_pts_ = false;
        ++stats_.pts_discontinuities;
        cut_at_next_key_ = true;
        // Continue the stream clock one frame after the furthest frame so far.
        delta = max_ext_pts_ + frame_ticks_ - last_ext_pts_;
    } else if (delta > 0 && delta <= kMaxBackTicks) {
        frame_ticks_ = delta;
    }
    last_pts33_ = static_cast<std::uint64_t>(raw);
    last_ext_pts_ += delta;
    max_ext_pts_ = std::max(max_ext_pts_, last_ext_pts_);
    return last_ext_pts_;
}

std::int64_t TsChunker::to_us(std::int64_t pts) const {
    return config_.timestamp_base_us + (pts - origin_pts_.value_or(pts)) * 100 / 9;
}

void TsChunker::on_discontinuity() {
    if (deciding_) {
        resolve(held_key_);
    }
    flush_psi_tail();
    reader_.reset();
    nal_scanner_.reset();
    rebase_next_pts_ = have_pts_;
    cut_at_next_key_ = in_chunk_;
}

void TsChunker::finish() {
    if (deciding_) {
        resolve(held_key_);
    }
    flush_psi_tail();
    end_chunk(max_ext_pts_ + frame_ticks_, CutReason::end_of_stream);
}

std::vector<ProducedChunk> TsChunker::take_chunks() {
    std::vector<ProducedChunk> out;
    out.swap(done_);
    return out;
}

std::size_t TsChunker::held_bytes() const noexcept {
    return current_.size() + (held_.size() + psi_tail_.size()) * kTsPacketSize;
}

}  // namespace p2pls::source
