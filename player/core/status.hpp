// The status line a viewer sees, with no I/O: what goes into it (StatusSnapshot), how it
// reads (format_status), and the small trackers that derive its figures from events with
// the time passed in (RateMeter, StallWatch, LiveEdge). The app refreshes it once a second,
// in place on a terminal, as plain lines otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/core/time.hpp"
#include "p2pls/report.pb.h"

namespace p2pls::player {

struct StatusSnapshot {
    double elapsed_s = 0;                   // since the player started joining
    std::optional<double> startup_delay_s;  // to the first decoded frame; unset before it
    std::optional<double> buffer_s;         // media held ahead of the playhead (seconds)
    std::optional<double> lag_s;            // playback behind the live edge (seconds)
    std::uint64_t chunks_due = 0;
    std::uint64_t chunks_missed = 0;
    std::uint32_t freezes = 0;
    std::optional<double> stalled_for_s;  // set while no chunk has come for too long
    double download_bytes_per_s = 0;      // media + control
    double upload_bytes_per_s = 0;        // media on our own uplink
    std::uint32_t neighbors = 0;
    std::optional<double> decade_share;  // DECADE mode: share of media bytes from storage
    // DECADE mode without storage: why (the server's answer); the peer plays natively.
    std::optional<std::string> decade_unavailable;
    std::uint64_t frames_decoded = 0;
    std::optional<std::size_t> http_clients;  // set when --http-out is on
};

// One line, no newline, e.g.
// "startup 1.84s | buf 2.0s | lag 6.1s | miss 0/12 | freezes 0 | down 61.2 kB/s |
//  up 0 B/s | nbrs 3 | frames 300".
std::string format_status(const StatusSnapshot& s);

// "12 B/s", "61.2 kB/s", "1.50 MB/s".
std::string format_rate(double bytes_per_s);

// Figures a QoE report carries, copied into a snapshot (startup, rates and the rest are
// filled by the caller). `decade` adds the storage share, and why storage could not be
// had when the peer plays natively instead.
void apply_report(const report::QoeReport& r, bool decade, StatusSnapshot& s);

// Bytes per second from a growing byte counter sampled now and then: the rate over the
// span between the previous sample and this one (0 before two samples).
class RateMeter {
  public:
    void sample(std::uint64_t total_bytes, TimePoint now);
    [[nodiscard]] double bytes_per_s() const noexcept { return rate_; }

  private:
    std::optional<std::pair<std::uint64_t, TimePoint>> last_;
    double rate_ = 0;
};

// A stall, as the viewer sees it: after the first chunk, no chunk for longer than
// `grace` (e.g. two chunk durations). Ends when a chunk comes again.
class StallWatch {
  public:
    explicit StallWatch(Duration grace) : grace_(grace) {}
    void on_chunk(TimePoint now) { last_ = now; }
    [[nodiscard]] std::optional<Duration> stalled_for(TimePoint now) const;

  private:
    Duration grace_;
    std::optional<TimePoint> last_;
};

// The live edge moves one chunk per chunk duration: anchored at a (seq, time) the tracker
// told, it estimates where the source is now, hence how far playback lags behind.
class LiveEdge {
  public:
    explicit LiveEdge(Duration chunk_duration) : chunk_duration_(chunk_duration) {}
    void anchor(std::uint64_t live_seq, TimePoint now);
    // Seconds between the estimated live edge and `played_seq`; never negative; unset
    // before an anchor.
    [[nodiscard]] std::optional<double> lag_s(std::uint64_t played_seq, TimePoint now) const;

  private:
    Duration chunk_duration_;
    std::optional<std::pair<std::uint64_t, TimePoint>> anchor_;
};

}  // namespace p2pls::player
