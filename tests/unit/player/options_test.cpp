// The player's flag rules: every bad value becomes a sentence, never a crash.
#include <gtest/gtest.h>

#include "player/core/options.hpp"

namespace p2pls::player {
namespace {

TEST(PlayerOptions, SinkForms) {
    std::string why;
    EXPECT_EQ(parse_sink("fake", why)->kind, SinkKind::fake);
    EXPECT_EQ(parse_sink("auto", why)->kind, SinkKind::automatic);
    EXPECT_EQ(parse_sink("window", why)->kind, SinkKind::window);
    auto file = parse_sink("file:/tmp/x.ts", why);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->kind, SinkKind::file);
    EXPECT_EQ(file->path, "/tmp/x.ts");
    for (const char* bad : {"", "file:", "xv", "FAKE", "file"}) {
        why.clear();
        EXPECT_FALSE(parse_sink(bad, why)) << bad;
        EXPECT_NE(why.find("--sink"), std::string::npos) << bad;
    }
}

TEST(PlayerOptions, ModeForms) {
    std::string why;
    EXPECT_EQ(*parse_mode("native", why), PlayerMode::native);
    EXPECT_EQ(*parse_mode("decade", why), PlayerMode::decade);
    EXPECT_FALSE(parse_mode("p2p", why));
    EXPECT_NE(why.find("native or decade"), std::string::npos);
}

TEST(PlayerOptions, UploadLimitIsAByteRate) {
    // The syntax itself is common/core/byte_rate.hpp's (tested there).
    std::string why;
    EXPECT_EQ(*parse_rate_bytes_per_s("4Mbit", why), 500'000u);
    EXPECT_FALSE(parse_rate_bytes_per_s("lots", why));
    EXPECT_NE(why.find("--upload-limit"), std::string::npos) << why;
    EXPECT_NE(why.find("lots"), std::string::npos) << why;
}

TEST(PlayerOptions, Seconds) {
    std::string why;
    EXPECT_EQ(parse_seconds("2.5", 0.1, why)->count(), 2500);
    EXPECT_EQ(parse_seconds("0", 0, why)->count(), 0);
    EXPECT_FALSE(parse_seconds("0", 0.1, why));
    EXPECT_FALSE(parse_seconds("100000", 0, why));
    EXPECT_FALSE(parse_seconds("abc", 0, why));
    EXPECT_FALSE(parse_seconds("", 0, why));
}

TEST(PlayerOptions, ListenIsAHostPortWithPortZeroAllowed) {
    PlayerOptions o;
    for (const char* good : {"127.0.0.1:0", "[::1]:7000", "0.0.0.0:65535"}) {
        o.listen = good;
        EXPECT_FALSE(validate(o)) << good;
    }
    for (const char* bad : {"127.0.0.1", ":80", "h:70000", "h:", "::1:80", "h:80x"}) {
        o.listen = bad;
        const auto why = validate(o);
        ASSERT_TRUE(why) << bad;
        EXPECT_EQ(*why, "--listen must be HOST:PORT (got '" + std::string(bad) + "')");
    }
}

TEST(PlayerOptions, ChannelNames) {
    EXPECT_TRUE(valid_channel_name("live"));
    EXPECT_TRUE(valid_channel_name("news-1.hd_2"));
    EXPECT_FALSE(valid_channel_name(""));
    EXPECT_FALSE(valid_channel_name("a/b"));
    EXPECT_FALSE(valid_channel_name(std::string(65, 'a')));
}

TEST(PlayerOptions, DefaultsAreValidAndBadOnesNamed) {
    PlayerOptions o;
    EXPECT_FALSE(validate(o));
    EXPECT_EQ(o.tracker_url, "http://127.0.0.1:8200");
    EXPECT_EQ(o.channel, "live");

    auto bad = o;
    bad.tracker_url = "ftp://x";
    EXPECT_NE(validate(bad)->find("--tracker"), std::string::npos);
    bad = o;
    bad.tracker_url = "http://";
    EXPECT_NE(validate(bad)->find("no host"), std::string::npos);
    bad = o;
    bad.channel = "no spaces";
    EXPECT_NE(validate(bad)->find("--channel"), std::string::npos);
    bad = o;
    bad.listen = "nowhere";
    EXPECT_NE(validate(bad)->find("--listen"), std::string::npos);
    bad = o;
    bad.join_timeout = std::chrono::milliseconds(0);
    EXPECT_NE(validate(bad)->find("--join-timeout"), std::string::npos);
}

TEST(PlayerOptions, AutoSinkFollowsTheDisplay) {
    EXPECT_EQ(resolve_sink({}, true).kind, SinkKind::window);
    EXPECT_EQ(resolve_sink({}, false).kind, SinkKind::fake);
    const SinkSpec file{.kind = SinkKind::file, .path = "x.ts"};
    EXPECT_EQ(resolve_sink(file, true).kind, SinkKind::file);
    EXPECT_EQ(resolve_sink({.kind = SinkKind::fake}, true).kind, SinkKind::fake);
}

TEST(PlayerOptions, WindowWithoutDisplayIsRefused) {
    EXPECT_FALSE(check_sink({.kind = SinkKind::window}, true));
    const auto why = check_sink({.kind = SinkKind::window}, false);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("needs a display"), std::string::npos);
    EXPECT_FALSE(check_sink({.kind = SinkKind::fake}, false));
    EXPECT_FALSE(check_sink({}, false));  // auto falls back to headless
}

}  // namespace
}  // namespace p2pls::player
