#include "common/core/link_delay.hpp"

#include <gtest/gtest.h>

namespace p2pls {
namespace {

using std::chrono::milliseconds;

TEST(LinkDelay, RulesParseAndTheLongestPrefixWins) {
    std::string why;
    const auto region = parse_link_delay_rule("127.17.0.0/16=35", why);
    const auto host = parse_link_delay_rule("127.17.0.9/32=2", why);
    ASSERT_TRUE(region && host) << why;
    LinkDelays d{milliseconds(90)};
    d.add(*region);
    d.add(*host);
    EXPECT_EQ(d.to_host("127.17.4.5"), milliseconds(35));
    EXPECT_EQ(d.to_host("127.17.0.9"), milliseconds(2));
    EXPECT_EQ(d.to_host("127.16.0.9"), milliseconds(90));  // no rule: the default
    EXPECT_EQ(d.to_host("::1"), milliseconds(90));
    EXPECT_EQ(d.to_host("localhost"), milliseconds(90));
    EXPECT_EQ(d.to_url("http://127.17.0.1:8300/v1/x"), milliseconds(35));
    EXPECT_EQ(d.to_url("https://127.17.0.9/"), milliseconds(2));
    EXPECT_EQ(d.to_url("http://[::1]:80/"), milliseconds(90));
    EXPECT_EQ(d.to_url("not a url"), milliseconds(90));
    EXPECT_FALSE(d.none());
    EXPECT_TRUE(LinkDelays{}.none());
}

TEST(LinkDelay, AHostBitSetInTheRuleIsMaskedAway) {
    std::string why;
    const auto rule = parse_link_delay_rule("10.1.2.3/8=7", why);
    ASSERT_TRUE(rule);
    LinkDelays d;
    d.add(*rule);
    EXPECT_EQ(d.to_host("10.200.0.1"), milliseconds(7));
    const auto all = parse_link_delay_rule("0.0.0.0/0=4", why);
    ASSERT_TRUE(all);
    d.add(*all);
    EXPECT_EQ(d.to_host("192.0.2.1"), milliseconds(4));
    EXPECT_EQ(d.to_host("10.0.0.1"), milliseconds(7));
}

TEST(LinkDelay, MalformedRulesAreRefusedWithAReason) {
    for (const char* bad :
         {"", "127.0.0.0/16", "=5", "127.0.0.0=5", "127.0.0/16=5", "127.0.0.256/16=5",
          "127.0.0.0/33=5", "127.0.0.0/16=10001", "127.0.0.0/16=-1", "127.0.0.0/16=5ms",
          "127.0.0.0/x=5", "::1/128=5", "127.0.0.0/16=99999999999", "1.2.3.4.5/8=1"}) {
        std::string why;
        EXPECT_FALSE(parse_link_delay_rule(bad, why)) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
    EXPECT_FALSE(parse_ipv4("01.2.3.4444"));
    EXPECT_TRUE(parse_ipv4("0.0.0.0"));
}

}  // namespace
}  // namespace p2pls
