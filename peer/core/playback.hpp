// The playback clock and the playback half of the QoE meter (DESIGN.md §4–5).
//
// join(start) fixes the playhead; playback starts once `startup_buffer` worth of chunks is
// contiguous from the playhead, then plays one chunk per chunk duration in real time. At
// a missing chunk it waits (one freeze per stall, however many chunks the stall spans) up
// to `skip_after`, then skips the chunk (one miss) and goes on. advance() is called with
// the current time whenever time passes or a chunk arrives; next_event() says when it
// must be called again at the latest.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/core/chunk_bitmap.hpp"
#include "common/core/time.hpp"

namespace p2pls::peer {

struct PlaybackStats {
    std::optional<Duration> startup_delay;  // join start -> first chunk played
    std::uint64_t chunks_due = 0;           // chunks whose turn came (played + missed)
    std::uint64_t chunks_missed = 0;        // skipped after skip_after
    std::uint32_t freezes = 0;              // stalls after startup
    Duration stalled{0};                    // total time spent stalled after startup
};

class Playback {
  public:
    Playback(Duration chunk_duration, std::uint64_t startup_chunks, Duration skip_after,
             TimePoint join_started);

    // Fixes the first chunk to play. Only the first call counts.
    void join(ChunkSeq start);
    // Before startup only: moves the first chunk to play (the one chosen does not exist,
    // e.g. the stream began after it).
    void rejoin(ChunkSeq start) {
        if (joined_ && !started_) {
            playhead_ = start;
        }
    }
    [[nodiscard]] bool joined() const noexcept { return joined_; }
    [[nodiscard]] bool started() const noexcept { return started_; }
    [[nodiscard]] ChunkSeq playhead() const noexcept { return playhead_; }
    [[nodiscard]] bool stalled() const noexcept { return stalling_; }

    struct Step {
        std::vector<ChunkSeq> played;
        std::vector<ChunkSeq> skipped;
        // For traces: when each played chunk was due, whether it ended a stall (late), and
        // whether this step started playback (the first startup-buffer chunks played).
        std::vector<TimePoint> played_due;
        std::vector<bool> played_late;
        bool started = false;
    };
    // Plays and skips what is due at `now` given the chunks held.
    Step advance(TimePoint now, const ChunkBitmap& held);

    // When the chunk at `seq` is due (the playhead's due time plus whole chunks; before
    // startup, counted from `now` as if playback started at once).
    [[nodiscard]] TimePoint due(ChunkSeq seq, TimePoint now) const;

    // The next time advance() has work to do by itself (nullopt: only a chunk arrival can
    // change anything).
    [[nodiscard]] std::optional<TimePoint> next_event() const;

    // Stats; stalled time includes the stall in progress at `now`.
    [[nodiscard]] PlaybackStats stats(TimePoint now) const;

  private:
    Duration chunk_;
    std::uint64_t startup_chunks_;
    Duration skip_after_;
    TimePoint join_started_;

    bool joined_ = false;
    bool started_ = false;
    ChunkSeq playhead_;
    TimePoint next_due_{};   // due time of the playhead chunk (while playing)
    bool stalling_ = false;  // waiting at the playhead chunk
    bool frozen_ = false;    // in a freeze (spans consecutive skipped chunks)
    TimePoint stall_start_{};
    PlaybackStats stats_;
};

}  // namespace p2pls::peer
