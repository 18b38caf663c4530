// Time types. Cores never read a clock: every event carries `now`, which the adapter
// takes from std::chrono::steady_clock and the simulator from its virtual clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace p2pls {

using Duration = std::chrono::microseconds;

// Monotonic time, microsecond resolution. Only differences are meaningful.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// Wall-clock time in whole seconds since the Unix epoch, for token expiry (which must
// mean the same on every host). Passed in like TimePoint.
using UnixSeconds = std::int64_t;

// Seconds as a double, for reports.
constexpr double to_seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

constexpr Duration from_millis(std::int64_t ms) {
    return std::chrono::milliseconds(ms);
}

}  // namespace p2pls
