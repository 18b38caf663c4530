#include "player/core/hls_window.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>

namespace p2pls::player {
namespace {

// Seconds rounded to the nearest whole second (RFC 8216 §4.3.3.1: a segment's duration
// rounded to the nearest integer must not exceed the target duration).
std::uint32_t rounded_seconds(std::uint32_t us) {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(us) + 500'000) / 1'000'000);
}

}  // namespace

HlsWindow::HlsWindow(HlsLimits limits) : limits_(limits) {
    limits_.max_segments = std::max<std::size_t>(limits_.max_segments, 1);
    target_s_ = std::max<std::uint32_t>(1, rounded_seconds(limits_.nominal_duration_us));
}

void HlsWindow::on_chunk(std::uint64_t seq, std::int64_t timestamp_us, std::uint32_t duration_us,
                         std::shared_ptr<const std::string> payload) {
    if (!payload || payload->empty())
        return;
    if (last_seq_ && seq == *last_seq_)
        return;  // the same chunk twice adds nothing
    // A skipped seq or a restart (seqs going back) breaks the timeline: the client must
    // reset its decoder and timestamps there.
    const bool gap = last_seq_ && seq != *last_seq_ + 1;
    if (gap)
        pending_discontinuity_ = true;
    last_seq_ = seq;

    if (duration_us == 0)
        duration_us = limits_.nominal_duration_us;
    target_s_ = std::max(target_s_, rounded_seconds(duration_us));

    // A restart reuses seqs that may still be in the window, and a URL names one body:
    // the old timeline leaves whole (the restart still counts as a discontinuity).
    while (!window_.empty() && window_.back().seq >= seq)
        evict_oldest();

    bytes_ += payload->size();
    window_.push_back(Segment{seq, timestamp_us, duration_us, std::move(payload),
                              pending_discontinuity_ && !window_.empty()});
    // A discontinuity before the window's first segment is not written: a client joining
    // there has no earlier timeline to break.
    if (window_.size() == 1 && pending_discontinuity_)
        ++discontinuity_seq_;
    pending_discontinuity_ = false;

    while (window_.size() > limits_.max_segments ||
           (window_.size() > 1 && bytes_ > limits_.max_bytes))
        evict_oldest();
}

void HlsWindow::evict_oldest() {
    if (window_.empty())
        return;
    bytes_ -= window_.front().payload->size();
    window_.pop_front();
    // The new first segment's discontinuity tag is no longer written (nothing comes
    // before it in the playlist); EXT-X-DISCONTINUITY-SEQUENCE takes it over so a client
    // keeps counting the same timelines.
    if (!window_.empty() && window_.front().discontinuity) {
        window_.front().discontinuity = false;
        ++discontinuity_seq_;
    }
}

std::uint64_t HlsWindow::in_window_discontinuities() const noexcept {
    return static_cast<std::uint64_t>(std::count_if(
        window_.begin(), window_.end(), [](const Segment& s) { return s.discontinuity; }));
}

std::optional<std::string> HlsWindow::playlist() const {
    if (window_.empty())
        return std::nullopt;
    std::string out;
    out.reserve(128 + window_.size() * 96);
    out += "#EXTM3U\n#EXT-X-VERSION:3\n";
    out += "#EXT-X-TARGETDURATION:" + std::to_string(target_s_) + '\n';
    out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(window_.front().seq) + '\n';
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(discontinuity_seq_) + '\n';
    char duration[32];
    for (const Segment& s : window_) {
        if (s.discontinuity)
            out += "#EXT-X-DISCONTINUITY\n";
        out += "#EXT-X-PROGRAM-DATE-TIME:" + iso8601_utc(s.timestamp_us) + '\n';
        std::snprintf(duration, sizeof duration, "%u.%06u", s.duration_us / 1'000'000,
                      s.duration_us % 1'000'000);
        out += "#EXTINF:";
        out += duration;
        out += ",\nseg/" + std::to_string(s.seq) + ".ts\n";
    }
    return out;
}

std::shared_ptr<const std::string> HlsWindow::segment(std::uint64_t seq) const {
    if (window_.empty() || seq < window_.front().seq || seq > window_.back().seq)
        return nullptr;
    // Seqs in the window are increasing but may have gaps: binary search.
    const auto it = std::lower_bound(window_.begin(), window_.end(), seq,
                                     [](const Segment& s, std::uint64_t v) { return s.seq < v; });
    if (it == window_.end() || it->seq != seq)
        return nullptr;
    return it->payload;
}

std::optional<std::uint64_t> HlsWindow::parse_segment_name(std::string_view name) {
    constexpr std::string_view kSuffix = ".ts";
    if (!name.ends_with(kSuffix))
        return std::nullopt;
    name.remove_suffix(kSuffix.size());
    if (name.empty() || name.size() > 20)
        return std::nullopt;
    if (name.size() > 1 && name.front() == '0')
        return std::nullopt;
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
    if (ec != std::errc{} || end != name.data() + name.size())
        return std::nullopt;
    return value;
}

std::string HlsWindow::iso8601_utc(std::int64_t us) {
    using namespace std::chrono;
    const sys_time<microseconds> t{microseconds{us}};
    const sys_days day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<milliseconds> tod{floor<milliseconds>(t - day)};
    char out[40];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                  static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                  static_cast<int>(tod.subseconds().count()));
    return out;
}

}  // namespace p2pls::player
