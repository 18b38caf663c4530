#include "peer/core/playback.hpp"

#include <algorithm>

namespace p2pls::peer {

Playback::Playback(Duration chunk_duration, std::uint64_t startup_chunks, Duration skip_after,
                   TimePoint join_started)
    : chunk_(chunk_duration),
      startup_chunks_(std::max<std::uint64_t>(startup_chunks, 1)),
      skip_after_(skip_after),
      join_started_(join_started) {}

void Playback::join(ChunkSeq start) {
    if (!joined_) {
        joined_ = true;
        playhead_ = start;
    }
}

Playback::Step Playback::advance(TimePoint now, const ChunkBitmap& held) {
    Step step;
    if (!joined_) {
        return step;
    }
    if (!started_) {
        if (held.contiguous_from(playhead_) < startup_chunks_) {
            return step;
        }
        started_ = true;
        step.started = true;
        stats_.startup_delay = now - join_started_;
        next_due_ = now;
    }
    // Each pass either plays, skips, or stops; a skip moves the due time forward by
    // skip_after, so the loop ends for any `now`.
    while (next_due_ <= now) {
        if (held.test(playhead_)) {
            step.played_due.push_back(stalling_ ? stall_start_ : next_due_);
            step.played_late.push_back(stalling_);
            if (stalling_) {
                // Resume now: the chunk arrived during the stall.
                stats_.stalled += now - stall_start_;
                stalling_ = false;
                next_due_ = now;
            }
            frozen_ = false;
            step.played.push_back(playhead_);
            ++stats_.chunks_due;
            ++playhead_;
            next_due_ += chunk_;
            continue;
        }
        if (!stalling_) {
            stalling_ = true;
            stall_start_ = next_due_;
            if (!frozen_) {
                frozen_ = true;
                ++stats_.freezes;
            }
        }
        if (now - stall_start_ < skip_after_) {
            break;
        }
        step.skipped.push_back(playhead_);
        ++stats_.chunks_due;
        ++stats_.chunks_missed;
        stats_.stalled += skip_after_;
        stalling_ = false;
        next_due_ = stall_start_ + skip_after_;
        ++playhead_;
    }
    return step;
}

TimePoint Playback::due(ChunkSeq seq, TimePoint now) const {
    // Seqs come from neighbours: one 2^62 chunks away must not overflow the time
    // arithmetic. Anything beyond 2^24 chunks (months of stream) is as good as never.
    constexpr std::int64_t kFar = std::int64_t{1} << 24;
    const auto ahead = std::clamp<std::int64_t>(seq - playhead_, -kFar, kFar);
    const TimePoint base = started_ ? next_due_ : now;
    return base + chunk_ * ahead;
}

std::optional<TimePoint> Playback::next_event() const {
    if (!started_) {
        return std::nullopt;
    }
    if (stalling_) {
        return stall_start_ + skip_after_;
    }
    return next_due_;
}

PlaybackStats Playback::stats(TimePoint now) const {
    PlaybackStats s = stats_;
    if (stalling_ && now > stall_start_) {
        s.stalled += now - stall_start_;
    }
    return s;
}

}  // namespace p2pls::peer
