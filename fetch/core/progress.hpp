// The progress line p2pls-fetch redraws on a terminal, and the rate it shows: bytes over
// the last few seconds, so that the ETA follows the current speed rather than the
// average since the start. Times are given by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

namespace p2pls::fetch {

class RateMeter {
  public:
    using Clock = std::chrono::steady_clock;
    explicit RateMeter(std::chrono::milliseconds window = std::chrono::seconds(5))
        : window_(window) {}

    void add(Clock::time_point at, std::uint64_t bytes);
    // Bytes per second over the window ending at `now` (0 before any sample).
    [[nodiscard]] double rate(Clock::time_point now);

  private:
    std::chrono::milliseconds window_;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> samples_;
    Clock::time_point first_{};
    bool started_ = false;
};

// "1.5 MiB", "512 B", "3.2 GiB".
std::string human_bytes(double bytes);
// "0:42", "12:03", "1:02:03"; "--:--" when unknown (no rate).
std::string human_eta(double seconds);
// "[#########-----------]  45%  12.0 MiB / 26.6 MiB  3.1 MiB/s  ETA 0:05", bar of
// `bar_width` cells.
std::string progress_line(std::uint64_t done, std::uint64_t total, double bytes_per_s,
                          std::size_t bar_width = 24);

}  // namespace p2pls::fetch
