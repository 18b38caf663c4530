#include "common/net/endpoint.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p2pls::net {
namespace {

TEST(Endpoint, NumericHostsBecomeEndpoints) {
    std::string why;
    const auto v4 = parse_tcp_endpoint("127.0.0.1:8200", {}, why);
    ASSERT_TRUE(v4) << why;
    EXPECT_EQ(v4->address().to_string(), "127.0.0.1");
    EXPECT_EQ(v4->port(), 8200);
    const auto v6 = parse_tcp_endpoint("[::1]:0", {.allow_port_zero = true}, why);
    ASSERT_TRUE(v6) << why;
    EXPECT_TRUE(v6->address().is_v6());
    EXPECT_EQ(v6->port(), 0);
}

TEST(Endpoint, NamesAreNotResolved) {
    std::string why;
    EXPECT_FALSE(parse_tcp_endpoint("localhost:80", {}, why));
    EXPECT_EQ(why, "\"localhost\" is not an IP address");
    EXPECT_FALSE(to_tcp_endpoint(HostPort{.host = "peer-7.example.net", .port = 1}));
    // Looks numeric, is not an address.
    EXPECT_FALSE(parse_tcp_endpoint("300.1.1.1:80", {}, why));
    EXPECT_FALSE(parse_tcp_endpoint("[1::2::3]:80", {}, why));
}

TEST(Endpoint, ParserReasonsComeThrough) {
    std::string why;
    EXPECT_FALSE(parse_tcp_endpoint("127.0.0.1", {}, why));
    EXPECT_EQ(why, "no port; expected \"host:port\"");
    EXPECT_FALSE(parse_tcp_endpoint("127.0.0.1:0", {}, why));
    EXPECT_EQ(why, "port must be 1..65535");
}

}  // namespace
}  // namespace p2pls::net
