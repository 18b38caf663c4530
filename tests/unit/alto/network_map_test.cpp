#include "alto/core/network_map.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace p2pls::alto {
namespace {

Prefix v4(const char* text) {
    std::string why;
    auto p = parse_prefix(text, Family::ipv4, why);
    EXPECT_TRUE(p) << text << ": " << why;
    return p.value_or(Prefix{});
}

Prefix v6(const char* text) {
    std::string why;
    auto p = parse_prefix(text, Family::ipv6, why);
    EXPECT_TRUE(p) << text << ": " << why;
    return p.value_or(Prefix{});
}

IpAddress addr(const char* text, Family f = Family::ipv4) {
    auto a = parse_address(text, f);
    EXPECT_TRUE(a) << text;
    return a.value_or(IpAddress{});
}

std::string build_error(std::vector<Pid> pids) {
    auto built = NetworkMap::build(std::move(pids));
    return std::holds_alternative<std::string>(built) ? std::get<std::string>(built) : "";
}

TEST(NetworkMap, LongestPrefixWinsInBothFamilies) {
    auto built = NetworkMap::build({
        {"wide", {v4("10.0.0.0/8")}, {v6("2001:db8::/32")}},
        {"narrow", {v4("10.1.0.0/16"), v4("10.1.2.3/32")}, {v6("2001:db8:1::/48")}},
        {"default", {v4("0.0.0.0/0")}, {v6("::/0")}},
    });
    ASSERT_TRUE(std::holds_alternative<NetworkMap>(built)) << std::get<std::string>(built);
    const auto& map = std::get<NetworkMap>(built);
    const auto name = [&](const char* a, Family f = Family::ipv4) {
        return map.pids()[map.lookup(addr(a, f))].name;
    };
    EXPECT_EQ(name("10.9.9.9"), "wide");
    EXPECT_EQ(name("10.1.9.9"), "narrow");
    EXPECT_EQ(name("10.1.2.3"), "narrow");
    EXPECT_EQ(name("11.0.0.1"), "default");
    EXPECT_EQ(name("2001:db8:1::5", Family::ipv6), "narrow");
    EXPECT_EQ(name("2001:db8:2::5", Family::ipv6), "wide");
    EXPECT_EQ(name("::1", Family::ipv6), "default");
    // PIDs come back sorted by name, and find() knows each.
    ASSERT_EQ(map.pids().size(), 3u);
    EXPECT_EQ(map.pids()[0].name, "default");
    EXPECT_EQ(map.find("wide"), 2u);
    EXPECT_EQ(map.find("none"), std::nullopt);
}

TEST(NetworkMap, RefusesAMapThatIsNotCompleteOrGivesAnAddressTwoPids) {
    EXPECT_NE(build_error({{"a", {v4("10.0.0.0/8")}, {v6("::/0")}}}).find("0.0.0.0/0"),
              std::string::npos);
    EXPECT_NE(build_error({{"a", {v4("0.0.0.0/0")}, {}}}).find("::/0"), std::string::npos);
    const auto twice = build_error(
        {{"a", {v4("0.0.0.0/0"), v4("10.0.0.0/8")}, {v6("::/0")}}, {"b", {v4("10.0.0.0/8")}, {}}});
    EXPECT_NE(twice.find("10.0.0.0/8 is in both PID \"a\" and PID \"b\""), std::string::npos)
        << twice;
    EXPECT_NE(build_error({{"a", {v4("0.0.0.0/0")}, {v6("::/0")}}, {"a", {v4("1.0.0.0/8")}, {}}})
                  .find("defined twice"),
              std::string::npos);
    EXPECT_NE(build_error({{"bad name", {v4("0.0.0.0/0")}, {v6("::/0")}}}).find("PID name"),
              std::string::npos);
    EXPECT_NE(build_error({{std::string(65, 'x'), {v4("0.0.0.0/0")}, {v6("::/0")}}}).find("1-64"),
              std::string::npos);
    EXPECT_NE(
        build_error({{"a", {v4("0.0.0.0/0")}, {v6("::/0")}}, {"empty", {}, {}}}).find("no prefix"),
        std::string::npos);
    EXPECT_NE(build_error({}).find("no PID"), std::string::npos);
}

TEST(NetworkMap, PrefixesAreCanonicalAndBadOnesSayWhy) {
    std::string why;
    EXPECT_FALSE(parse_prefix("192.0.2.1/24", Family::ipv4, why));
    EXPECT_NE(why.find("host bits set (the prefix is 192.0.2.0/24)"), std::string::npos) << why;
    EXPECT_FALSE(parse_prefix("192.0.2.0", Family::ipv4, why));
    EXPECT_NE(why.find("no prefix length"), std::string::npos);
    EXPECT_FALSE(parse_prefix("192.0.2.0/33", Family::ipv4, why));
    EXPECT_NE(why.find("0..32"), std::string::npos);
    EXPECT_FALSE(parse_prefix("192.0.2.0/+8", Family::ipv4, why));
    EXPECT_FALSE(parse_prefix("192.0.2.0/", Family::ipv4, why));
    EXPECT_FALSE(parse_prefix("2001:db8::/32", Family::ipv4, why));
    EXPECT_NE(why.find("not an ipv4 address"), std::string::npos);
    EXPECT_FALSE(parse_prefix("2001:db8::/129", Family::ipv6, why));
    EXPECT_FALSE(parse_prefix("2001:db8::1/64", Family::ipv6, why));
    EXPECT_EQ(prefix_text(v6("2001:DB8:0:0::/64")), "2001:db8::/64");
    EXPECT_EQ(prefix_text(v4("198.51.100.128/25")), "198.51.100.128/25");
    EXPECT_FALSE(parse_address("256.1.1.1", Family::ipv4));
    EXPECT_FALSE(parse_address("1.2.3", Family::ipv4));
    EXPECT_FALSE(parse_address("fe80::1%eth0", Family::ipv6));
    EXPECT_FALSE(parse_address(std::string(100, '1'), Family::ipv6));
    EXPECT_EQ(address_text(addr("2001:db8::a:1", Family::ipv6)), "2001:db8::a:1");
}

}  // namespace
}  // namespace p2pls::alto
