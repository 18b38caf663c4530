#include "tracker/core/validate.hpp"

#include <gtest/gtest.h>

namespace p2pls::tracker {
namespace {

TEST(Validate, HostPortAcceptsNamesV4AndBracketedV6) {
    struct Case {
        const char* text;
        const char* host;
        std::uint16_t port;
    };
    for (const Case c :
         {Case{.text = "127.0.0.1:8200", .host = "127.0.0.1", .port = 8200},
          Case{.text = "peer-7.example.net:1", .host = "peer-7.example.net", .port = 1},
          Case{.text = "[::1]:65535", .host = "::1", .port = 65535}}) {
        auto hp = parse_host_port(c.text, "endpoint");
        ASSERT_TRUE(hp) << c.text << ": " << hp.error().detail;
        EXPECT_EQ(hp->host, c.host);
        EXPECT_EQ(hp->port, c.port);
    }
}

TEST(Validate, HostPortRejectsAbsurdPortsAndShapes) {
    for (const char* text :
         {"", "host", "host:", ":80", "h:0", "h:65536", "h:99999999999", "h:-1", "h:+80", "h:80x",
          "h:8 0", "[::1]80", "[]:80", "a b:80", "h/x:80", "::1:80"}) {
        auto hp = parse_host_port(text, "endpoint");
        ASSERT_FALSE(hp) << text;
        EXPECT_EQ(hp.error().status, 400u);
        EXPECT_EQ(hp.error().error, "bad_endpoint");
        EXPECT_NE(hp.error().detail.find("endpoint"), std::string::npos);
    }
}

TEST(Validate, ErrorDetailNeverEchoesHugeOrBinaryInput) {
    const std::string huge(10'000, 'x');
    auto hp = parse_host_port(huge + ":0", "endpoint");
    ASSERT_FALSE(hp);
    EXPECT_LT(hp.error().detail.size(), 200u);
    auto e = check_peer_id(std::string("a\0b\n", 4), "peer_id");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->detail.find('\n'), std::string::npos);
}

TEST(Validate, ChannelNamesPeerIdsUrlsRegions) {
    EXPECT_FALSE(check_channel_name("news-1.hd_x"));
    EXPECT_TRUE(check_channel_name(""));
    EXPECT_TRUE(check_channel_name("a/b"));
    EXPECT_TRUE(check_channel_name("a%2Fb"));
    EXPECT_TRUE(check_channel_name(std::string(65, 'c')));

    EXPECT_FALSE(check_peer_id("peer-01", "peer_id"));
    EXPECT_TRUE(check_peer_id("", "peer_id"));
    EXPECT_TRUE(check_peer_id("has space", "peer_id"));
    EXPECT_TRUE(check_peer_id(std::string(129, 'p'), "peer_id"));

    EXPECT_FALSE(check_url("http://127.0.0.1:8300", "url"));
    EXPECT_FALSE(check_url("https://decade.example/v1", "url"));
    EXPECT_TRUE(check_url("ftp://x", "url"));
    EXPECT_TRUE(check_url("http://", "url"));
    EXPECT_TRUE(check_url("http://h:0", "url"));
    EXPECT_TRUE(check_url("http://h/a b", "url"));

    EXPECT_FALSE(check_region("", "region"));
    EXPECT_FALSE(check_region("eu-west", "region"));
    EXPECT_TRUE(check_region("eu west", "region"));
}

}  // namespace
}  // namespace p2pls::tracker
