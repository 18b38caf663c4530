#include "fetch/core/progress.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace p2pls::fetch {

void RateMeter::add(Clock::time_point at, std::uint64_t bytes) {
    if (!started_) {
        first_ = at;
        started_ = true;
    }
    samples_.emplace_back(at, bytes);
}

double RateMeter::rate(Clock::time_point now) {
    while (!samples_.empty() && samples_.front().first < now - window_) {
        samples_.pop_front();
    }
    if (!started_) {
        return 0;
    }
    std::uint64_t sum = 0;
    for (const auto& [at, bytes] : samples_) {
        sum += bytes;
    }
    // Over the window, or over the time since the first sample when that is shorter
    // (at least a tenth of a second, so that one early sample is not an absurd rate).
    const auto span = std::min<Clock::duration>(window_, now - first_);
    const double seconds = std::max(0.1, std::chrono::duration<double>(span).count());
    return static_cast<double>(sum) / seconds;
}

std::string human_bytes(double bytes) {
    static constexpr std::array<const char*, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (bytes >= 1024 && unit + 1 < kUnits.size()) {
        bytes /= 1024;
        ++unit;
    }
    std::array<char, 32> out{};
    if (unit == 0) {
        std::snprintf(out.data(), out.size(), "%.0f B", bytes);
    } else {
        std::snprintf(out.data(), out.size(), "%.1f %s", bytes, kUnits[unit]);
    }
    return out.data();
}

std::string human_eta(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 100.0 * 3600) {
        return "--:--";
    }
    const auto s = static_cast<long>(std::lround(seconds));
    std::array<char, 32> out{};
    if (s >= 3600) {
        std::snprintf(out.data(), out.size(), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    } else {
        std::snprintf(out.data(), out.size(), "%ld:%02ld", s / 60, s % 60);
    }
    return out.data();
}

std::string progress_line(std::uint64_t done, std::uint64_t total, double bytes_per_s,
                          std::size_t bar_width) {
    const double fraction =
        total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const auto full = static_cast<std::size_t>(fraction * static_cast<double>(bar_width));
    std::string line = "[" + std::string(full, '#') + std::string(bar_width - full, '-') + "] ";
    std::array<char, 8> percent{};
    std::snprintf(percent.data(), percent.size(), "%3d%%", static_cast<int>(fraction * 100));
    line += percent.data();
    line += "  " + human_bytes(static_cast<double>(done)) + " / " +
            human_bytes(static_cast<double>(total));
    line += "  " + human_bytes(bytes_per_s) + "/s";
    const double left = static_cast<double>(total - std::min(done, total));
    line += "  ETA " + human_eta(bytes_per_s > 0 ? left / bytes_per_s : -1);
    return line;
}

}  // namespace p2pls::fetch
