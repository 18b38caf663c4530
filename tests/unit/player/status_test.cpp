// The status line and the figures behind it, with a hand-driven clock.
#include <gtest/gtest.h>

#include "player/core/status.hpp"

namespace p2pls::player {
namespace {

using namespace std::chrono_literals;

TimePoint at(Duration d) {
    return TimePoint{} + d;
}

TEST(Status, LineBeforeAndAfterStartup) {
    StatusSnapshot s;
    s.elapsed_s = 3;
    EXPECT_EQ(format_status(s).rfind("joining 3s | buf - | lag - | miss 0/0", 0), 0u)
        << format_status(s);

    s.startup_delay_s = 1.844;
    s.buffer_s = 2.0;
    s.lag_s = 6.12;
    s.chunks_due = 12;
    s.chunks_missed = 1;
    s.freezes = 2;
    s.download_bytes_per_s = 61'234;
    s.neighbors = 3;
    s.frames_decoded = 300;
    s.http_clients = 2;
    const auto line = format_status(s);
    EXPECT_EQ(line,
              "startup 1.84s | buf 2.0s | lag 6.1s | miss 1/12 | freezes 2 | down 61.2 kB/s | "
              "up 0 B/s | nbrs 3 | frames 300 | http 2");
}

TEST(Status, StallAndDecadeShareShow) {
    StatusSnapshot s;
    s.startup_delay_s = 1;
    s.stalled_for_s = 4.2;
    s.decade_share = 0.75;
    const auto line = format_status(s);
    EXPECT_NE(line.find("STALLED 4s"), std::string::npos) << line;
    EXPECT_NE(line.find("decade 75%"), std::string::npos) << line;
}

TEST(Status, RatesFormatted) {
    EXPECT_EQ(format_rate(0), "0 B/s");
    EXPECT_EQ(format_rate(999), "999 B/s");
    EXPECT_EQ(format_rate(1500), "1.5 kB/s");
    EXPECT_EQ(format_rate(2'500'000), "2.50 MB/s");
}

TEST(Status, ReportFiguresCopied) {
    report::QoeReport r;
    r.set_elapsed_s(9);
    r.set_chunks_due(7);
    r.set_chunks_missed(2);
    r.set_freezes(1);
    r.set_neighbors(5);
    r.set_bytes_from_peers(300);
    r.set_bytes_from_decade(100);
    StatusSnapshot s;
    apply_report(r, false, s);
    EXPECT_EQ(s.chunks_due, 7u);
    EXPECT_EQ(s.chunks_missed, 2u);
    EXPECT_EQ(s.freezes, 1u);
    EXPECT_EQ(s.neighbors, 5u);
    EXPECT_FALSE(s.decade_share);
    apply_report(r, true, s);
    ASSERT_TRUE(s.decade_share);
    EXPECT_DOUBLE_EQ(*s.decade_share, 0.25);
    EXPECT_FALSE(s.decade_unavailable);
}

// A DECADE viewer that got no storage says why, instead of a storage share that would
// only ever read 0 %.
TEST(Status, DecadeWithoutStorageShowsWhyInsteadOfTheShare) {
    report::QoeReport r;
    r.set_bytes_from_peers(300);
    r.set_decade_unavailable("HTTP 503 busy: request limit per client reached");
    StatusSnapshot s;
    apply_report(r, true, s);
    ASSERT_TRUE(s.decade_unavailable);
    const auto line = format_status(s);
    EXPECT_NE(line.find("decade OFF (HTTP 503 busy: request limit per client reached)"),
              std::string::npos)
        << line;
    EXPECT_EQ(line.find("decade 0%"), std::string::npos) << line;
    // Native mode never shows it.
    apply_report(r, false, s);
    EXPECT_FALSE(s.decade_unavailable);
}

TEST(Status, RateMeterOverTheLastSpan) {
    RateMeter m;
    m.sample(0, at(0s));
    EXPECT_EQ(m.bytes_per_s(), 0);
    m.sample(1000, at(2s));
    EXPECT_DOUBLE_EQ(m.bytes_per_s(), 500);
    m.sample(1000, at(2s));  // same instant: ignored, no division by zero
    EXPECT_DOUBLE_EQ(m.bytes_per_s(), 500);
    m.sample(500, at(3s));  // a counter going back (restart) reads as 0, not huge
    EXPECT_DOUBLE_EQ(m.bytes_per_s(), 0);
}

TEST(Status, StallAfterGraceEndsWithNextChunk) {
    StallWatch w(2s);
    EXPECT_FALSE(w.stalled_for(at(100s)));  // nothing played yet: joining, not stalled
    w.on_chunk(at(10s));
    EXPECT_FALSE(w.stalled_for(at(12s)));
    ASSERT_TRUE(w.stalled_for(at(15s)));
    EXPECT_EQ(*w.stalled_for(at(15s)), 5s);
    w.on_chunk(at(16s));
    EXPECT_FALSE(w.stalled_for(at(16s)));
}

TEST(Status, LagFromAnAnchoredLiveEdge) {
    LiveEdge e(1s);
    EXPECT_FALSE(e.lag_s(10, at(0s)));
    e.anchor(100, at(50s));
    EXPECT_DOUBLE_EQ(*e.lag_s(94, at(50s)), 6.0);
    EXPECT_DOUBLE_EQ(*e.lag_s(96, at(52s)), 6.0);   // edge moved 2 chunks, so did playback
    EXPECT_DOUBLE_EQ(*e.lag_s(200, at(50s)), 0.0);  // never negative
}

}  // namespace
}  // namespace p2pls::player
