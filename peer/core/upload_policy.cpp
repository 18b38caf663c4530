#include "peer/core/upload_policy.hpp"

#include <algorithm>
#include <chrono>

namespace p2pls::peer {

UploadPolicy::UploadPolicy(const EngineConfig& config, TimePoint now)
    : rate_bytes_per_s_(config.upload_limit_bytes_per_s),
      burst_bytes_(config.upload_burst_bytes),
      // A DECADE peer's maps go out every token_refresh, a native peer's every T_bm.
      near_playhead_chunks_(config.chunks_in(config.due_soon) +
                            config.chunks_in(config.full_map_interval()) + 1),
      busy_retry_max_ms_(config.busy_retry_max_ms),
      bucket_(rate_bytes_per_s_, burst_bytes_, now) {
    if (config.origin && !bucket_.unlimited()) {
        spread_.emplace(config.spread_window);
    }
}

bool UploadPolicy::admit(ChunkSeq seq, std::uint64_t bytes, bool due_soon, TimePoint now) {
    if (bucket_.unlimited()) {
        return true;
    }
    if (bytes > burst_bytes_) {
        burst_bytes_ = 2 * bytes;
        bucket_.set_rate(rate_bytes_per_s_, burst_bytes_, now);
    }
    if (spread_) {
        spread_->note_requested(seq, now);
        if (!due_soon && !spread_->least_copied(seq, now)) {
            return false;
        }
    } else if (!due_soon && bucket_.available(now) < 2 * bytes) {
        return false;  // the last chunk's worth is for requests due soon
    }
    if (!bucket_.try_consume(bytes, now)) {
        return false;
    }
    if (spread_) {
        spread_->note_served(seq);
    }
    return true;
}

bool UploadPolicy::believe_due_soon(std::optional<ChunkSeq> playhead, ChunkSeq seq) const {
    if (!playhead) {
        return true;  // no map yet, or a peer that does not say
    }
    return seq < *playhead + near_playhead_chunks_;
}

std::uint32_t UploadPolicy::busy_retry_after_ms(bool refuse_all, std::uint64_t chunk_bytes,
                                                TimePoint now) const {
    const auto wait = refuse_all ? std::chrono::milliseconds(busy_retry_max_ms_)
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       bucket_.wait_for(chunk_bytes, now));
    return static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(wait.count(), 50, busy_retry_max_ms_));
}

void UploadPolicy::forget_before(ChunkSeq base) {
    if (spread_) {
        spread_->forget_before(base);
    }
}

}  // namespace p2pls::peer
