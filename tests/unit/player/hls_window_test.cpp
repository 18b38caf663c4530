// The HLS live window: the playlist's tags (RFC 8216), discontinuities after a missed
// chunk or a restart, bounded memory, and the segment-name parser that guards /seg/.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "player/core/hls_window.hpp"

namespace p2pls::player {
namespace {

constexpr std::int64_t kBase = 1'764'921'600'000'000;  // 2025-12-05T08:00:00Z in µs

std::shared_ptr<const std::string> body(std::size_t size = 188, char tag = 'G') {
    return std::make_shared<const std::string>(size, tag);
}

void feed(HlsWindow& w, std::uint64_t seq, std::uint32_t duration_us = 1'000'000) {
    w.on_chunk(seq, kBase + static_cast<std::int64_t>(seq) * 1'000'000, duration_us, body());
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

// The segment URIs of a playlist, in order.
std::vector<std::string> uris(const std::string& text) {
    std::vector<std::string> out;
    for (auto& l : lines(text))
        if (!l.empty() && l.front() != '#')
            out.push_back(l);
    return out;
}

std::string tag_value(const std::string& text, const std::string& tag) {
    for (auto& l : lines(text))
        if (l.starts_with(tag + ":"))
            return l.substr(tag.size() + 1);
    return {};
}

TEST(HlsWindow, NoPlaylistBeforeTheFirstSegment) {
    HlsWindow w;
    EXPECT_FALSE(w.playlist());
    w.on_chunk(1, kBase, 1'000'000, body(0));  // an empty payload is not a segment
    EXPECT_FALSE(w.playlist());
    EXPECT_EQ(w.segment(1), nullptr);
}

TEST(HlsWindow, SlidingWindowNamesTheLastSegmentsBySeq) {
    HlsWindow w(HlsLimits{.max_segments = 3});
    for (std::uint64_t s = 40; s < 46; ++s)
        feed(w, s);
    const auto pl = w.playlist();
    ASSERT_TRUE(pl);
    EXPECT_EQ(lines(*pl).front(), "#EXTM3U");
    EXPECT_EQ(tag_value(*pl, "#EXT-X-MEDIA-SEQUENCE"), "43");
    EXPECT_EQ(uris(*pl), (std::vector<std::string>{"seg/43.ts", "seg/44.ts", "seg/45.ts"}));
    EXPECT_EQ(tag_value(*pl, "#EXT-X-DISCONTINUITY-SEQUENCE"), "0");
    EXPECT_EQ(pl->find("#EXT-X-DISCONTINUITY\n"), std::string::npos);
    EXPECT_EQ(pl->find("#EXT-X-ENDLIST"), std::string::npos);  // a live playlist
    EXPECT_NE(w.segment(44), nullptr);
    EXPECT_EQ(w.segment(42), nullptr);  // slid out
    EXPECT_EQ(w.segment(46), nullptr);  // not yet played
}

TEST(HlsWindow, ProgramDateTimeAndDurationOnEverySegment) {
    HlsWindow w;
    w.on_chunk(7, kBase + 250'000, 1'500'000, body());
    const auto pl = *w.playlist();
    EXPECT_NE(
        pl.find("#EXT-X-PROGRAM-DATE-TIME:2025-12-05T08:00:00.250Z\n#EXTINF:1.500000,\nseg/7.ts\n"),
        std::string::npos)
        << pl;
}

TEST(HlsWindow, TargetDurationIsTheRoundedLongestAndNeverDecreases) {
    HlsWindow w(HlsLimits{.max_segments = 2, .nominal_duration_us = 1'000'000});
    feed(w, 1, 1'000'000);
    EXPECT_EQ(tag_value(*w.playlist(), "#EXT-X-TARGETDURATION"), "1");
    feed(w, 2, 2'600'000);  // rounds to 3
    EXPECT_EQ(tag_value(*w.playlist(), "#EXT-X-TARGETDURATION"), "3");
    for (std::uint64_t s = 3; s < 8; ++s)
        feed(w, s, 1'000'000);  // the long one slid out
    EXPECT_EQ(tag_value(*w.playlist(), "#EXT-X-TARGETDURATION"), "3");
    // A nominal 2 s channel never advertises less than 2.
    HlsWindow two(HlsLimits{.nominal_duration_us = 2'000'000});
    feed(two, 1, 1'000'000);
    EXPECT_EQ(two.target_duration_s(), 2u);
}

TEST(HlsWindow, MissedChunkPutsADiscontinuityBeforeTheNextSegment) {
    HlsWindow w(HlsLimits{.max_segments = 4});
    feed(w, 10);
    feed(w, 11);
    feed(w, 13);  // 12 was missed
    feed(w, 14);
    const auto pl = *w.playlist();
    EXPECT_NE(pl.find("seg/11.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:"),
              std::string::npos)
        << pl;
    EXPECT_EQ(w.discontinuities_total(), 1u);
    EXPECT_EQ(tag_value(pl, "#EXT-X-DISCONTINUITY-SEQUENCE"), "0");
    EXPECT_EQ(w.segment(12), nullptr);
    EXPECT_NE(w.segment(13), nullptr);
}

TEST(HlsWindow, DiscontinuitySequenceCountsTheOnesThatSlidOut) {
    HlsWindow w(HlsLimits{.max_segments = 2});
    feed(w, 1);
    feed(w, 3);  // gap: discontinuity before 3
    feed(w, 4);  // 1 leaves; 3 is now first, its tag moves into the sequence number
    auto pl = *w.playlist();
    EXPECT_EQ(tag_value(pl, "#EXT-X-DISCONTINUITY-SEQUENCE"), "1");
    EXPECT_EQ(pl.find("#EXT-X-DISCONTINUITY\n"), std::string::npos) << pl;
    feed(w, 6);  // another gap
    pl = *w.playlist();
    EXPECT_EQ(tag_value(pl, "#EXT-X-DISCONTINUITY-SEQUENCE"), "1");
    EXPECT_NE(pl.find("#EXT-X-DISCONTINUITY\n"), std::string::npos);
    EXPECT_EQ(w.discontinuities_total(), 2u);
}

TEST(HlsWindow, SourceRestartStartsANewTimeline) {
    HlsWindow w(HlsLimits{.max_segments = 4});
    for (std::uint64_t s = 100; s < 104; ++s)
        feed(w, s);
    feed(w, 0);  // the source restarted: seqs go back
    feed(w, 1);
    const auto pl = *w.playlist();
    EXPECT_EQ(uris(pl), (std::vector<std::string>{"seg/0.ts", "seg/1.ts"}));
    EXPECT_EQ(tag_value(pl, "#EXT-X-MEDIA-SEQUENCE"), "0");
    EXPECT_EQ(tag_value(pl, "#EXT-X-DISCONTINUITY-SEQUENCE"), "1");
    EXPECT_EQ(w.segment(101), nullptr);  // the old timeline's bodies are gone
}

TEST(HlsWindow, TheSameChunkTwiceIsOneSegment) {
    HlsWindow w;
    feed(w, 5);
    feed(w, 5);
    EXPECT_EQ(w.segments(), 1u);
    EXPECT_EQ(w.discontinuities_total(), 0u);
}

TEST(HlsWindow, MemoryIsBoundedByBytesAsWellAsSegments) {
    HlsWindow w(HlsLimits{.max_segments = 100, .max_bytes = 1000});
    for (std::uint64_t s = 0; s < 50; ++s)
        w.on_chunk(s, kBase, 1'000'000, body(300));
    EXPECT_LE(w.bytes(), 1000u);
    EXPECT_EQ(w.segments(), 3u);
    EXPECT_NE(w.segment(49), nullptr);
    // One segment larger than the cap is still served (the newest always is).
    w.on_chunk(50, kBase, 1'000'000, body(5000));
    EXPECT_EQ(w.segments(), 1u);
    EXPECT_NE(w.segment(50), nullptr);
}

TEST(HlsWindow, SegmentNamesAreStrictDecimal) {
    EXPECT_EQ(HlsWindow::parse_segment_name("0.ts"), 0u);
    EXPECT_EQ(HlsWindow::parse_segment_name("42.ts"), 42u);
    EXPECT_EQ(HlsWindow::parse_segment_name("18446744073709551615.ts"), UINT64_MAX);
    for (const char* bad :
         {"", ".ts", "42", "42.mp4", "-1.ts", "+1.ts", "042.ts", "4 2.ts", "0x10.ts",
          "18446744073709551616.ts", "999999999999999999999.ts", "42.ts.ts", "../42.ts", "42.TS"})
        EXPECT_FALSE(HlsWindow::parse_segment_name(bad)) << bad;
}

TEST(HlsWindow, Iso8601IsUtcWithMilliseconds) {
    EXPECT_EQ(HlsWindow::iso8601_utc(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(HlsWindow::iso8601_utc(kBase + 3'723'456'789), "2025-12-05T09:02:03.456Z");
    EXPECT_EQ(HlsWindow::iso8601_utc(951'782'400'000'000), "2000-02-29T00:00:00.000Z");
}

}  // namespace
}  // namespace p2pls::player
