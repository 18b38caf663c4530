// The player's HLS output with no I/O: a sliding window of the last chunks played, the
// live playlist that names them (GET /live.m3u8) and the segment bodies (GET
// /seg/<seq>.ts). The HTTP adapter (player/http/ts_server.hpp) only moves the bytes.
//
// Every chunk is one segment: it starts on a key frame with PAT/PMT, so each segment
// decodes on its own, and its URL is its seq. Rules (RFC 8216):
//  - EXT-X-MEDIA-SEQUENCE is the first segment's chunk seq, so a client's position is
//    the swarm's seq.
//  - EXT-X-TARGETDURATION is the largest segment duration seen, rounded to the nearest
//    second (at least 1, and the nominal chunk duration's); it never decreases, because
//    a live playlist's target duration must not change downwards.
//  - EXT-X-PROGRAM-DATE-TIME on every segment, from the chunk's signed timestamp (the
//    source's wall clock), so a client can show how far behind live it plays.
//  - A chunk the player skipped (a missed seq) or a source restart (seqs going back)
//    puts EXT-X-DISCONTINUITY before the next segment; EXT-X-DISCONTINUITY-SEQUENCE
//    counts the discontinuities that slid out of the window.
// Memory is bounded by max_segments and max_bytes: the oldest segments leave first.
// Only chunks the peer verified and played reach on_chunk, so only those are served.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace p2pls::player {

struct HlsLimits {
    std::size_t max_segments = 6;                   // the live window (~6 s at 1 s chunks)
    std::size_t max_bytes = 32 * 1024 * 1024;       // payload bytes held
    std::uint32_t nominal_duration_us = 1'000'000;  // the channel's chunk duration
};

class HlsWindow {
  public:
    struct Segment {
        std::uint64_t seq = 0;
        std::int64_t timestamp_us = 0;  // µs since the Unix epoch, as signed by the source
        std::uint32_t duration_us = 0;
        std::shared_ptr<const std::string> payload;
        bool discontinuity = false;  // a gap (or a restart) comes before this segment
    };

    explicit HlsWindow(HlsLimits limits = {});

    // A verified chunk was played. Empty payloads are ignored.
    void on_chunk(std::uint64_t seq, std::int64_t timestamp_us, std::uint32_t duration_us,
                  std::shared_ptr<const std::string> payload);

    // The live playlist; nullopt before the first segment (the adapter answers 503 with
    // Retry-After: a client retries rather than giving up on an empty playlist).
    [[nodiscard]] std::optional<std::string> playlist() const;

    // The body of segment `seq`, or nullptr when it is not in the window.
    [[nodiscard]] std::shared_ptr<const std::string> segment(std::uint64_t seq) const;

    [[nodiscard]] std::size_t segments() const noexcept { return window_.size(); }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::uint32_t target_duration_s() const noexcept { return target_s_; }
    [[nodiscard]] std::uint64_t discontinuities_total() const noexcept {
        return discontinuity_seq_ + in_window_discontinuities();
    }
    [[nodiscard]] const HlsLimits& limits() const noexcept { return limits_; }

    // Parses the seq of a "/seg/<seq>.ts" path segment ("<seq>.ts"): decimal digits only,
    // no sign, no leading zeros beyond "0", at most 20 digits and within 64 bits.
    [[nodiscard]] static std::optional<std::uint64_t> parse_segment_name(std::string_view name);

    // "2026-12-05T07:12:32.123Z" for `us` µs since the Unix epoch (UTC, milliseconds).
    [[nodiscard]] static std::string iso8601_utc(std::int64_t us);

  private:
    void evict_oldest();
    [[nodiscard]] std::uint64_t in_window_discontinuities() const noexcept;

    HlsLimits limits_;
    std::deque<Segment> window_;
    std::size_t bytes_ = 0;
    std::uint32_t target_s_ = 1;
    std::uint64_t discontinuity_seq_ = 0;  // discontinuities that left the window
    std::optional<std::uint64_t> last_seq_;
    bool pending_discontinuity_ = false;
};

}  // namespace p2pls::player
