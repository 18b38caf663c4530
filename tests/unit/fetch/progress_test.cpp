#include "fetch/core/progress.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace p2pls::fetch {
namespace {

using namespace std::chrono_literals;

TEST(RateMeter, IsTheRateOverTheLastWindow) {
    RateMeter meter(5s);
    const auto t0 = RateMeter::Clock::time_point{} + 100s;
    EXPECT_EQ(meter.rate(t0), 0);
    meter.add(t0, 1000);
    meter.add(t0 + 1s, 1000);
    EXPECT_DOUBLE_EQ(meter.rate(t0 + 2s), 1000);  // 2000 bytes over the 2 s since the start
    meter.add(t0 + 9s, 500);
    // At 10 s only the last sample is within the window.
    EXPECT_DOUBLE_EQ(meter.rate(t0 + 10s), 100);
}

TEST(Human, BytesAndEta) {
    EXPECT_EQ(human_bytes(512), "512 B");
    EXPECT_EQ(human_bytes(1536), "1.5 KiB");
    EXPECT_EQ(human_bytes(3.0 * 1024 * 1024 * 1024), "3.0 GiB");
    EXPECT_EQ(human_eta(42), "0:42");
    EXPECT_EQ(human_eta(723), "12:03");
    EXPECT_EQ(human_eta(3723), "1:02:03");
    EXPECT_EQ(human_eta(-1), "--:--");
    EXPECT_EQ(human_eta(std::numeric_limits<double>::infinity()), "--:--");
}

TEST(ProgressLine, ShowsTheBarPercentSizesRateAndEta) {
    const std::string line = progress_line(512 * 1024, 1024 * 1024, 256 * 1024, 10);
    EXPECT_EQ(line, "[#####-----]  50%  512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02");
    EXPECT_EQ(progress_line(0, 100, 0, 4), "[----]   0%  0 B / 100 B  0 B/s  ETA --:--");
    EXPECT_EQ(progress_line(100, 100, 0, 4), "[####] 100%  100 B / 100 B  0 B/s  ETA --:--");
    // More than the total (never expected) stays at 100 %.
    EXPECT_EQ(progress_line(200, 100, 1, 2).substr(0, 9), "[##] 100%");
    // An empty file is done.
    EXPECT_EQ(progress_line(0, 0, 0, 2).substr(0, 9), "[##] 100%");
}

}  // namespace
}  // namespace p2pls::fetch
