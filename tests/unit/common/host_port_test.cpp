#include "common/core/host_port.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p2pls {
namespace {

struct Good {
    const char* text;
    const char* host;
    std::uint16_t port;
};

struct Bad {
    const char* text;
    const char* why;
};

TEST(HostPort, AcceptsNamesV4AndBracketedV6) {
    for (const Good c : {
             Good{.text = "127.0.0.1:8200", .host = "127.0.0.1", .port = 8200},
             Good{.text = "peer-7.example.net:1", .host = "peer-7.example.net", .port = 1},
             Good{.text = "[::1]:65535", .host = "::1", .port = 65535},
             Good{.text = "[::ffff:10.0.0.1]:80", .host = "::ffff:10.0.0.1", .port = 80},
             Good{.text = "h:00080", .host = "h", .port = 80},
         }) {
        std::string why;
        const auto hp = parse_host_port(c.text, {}, why);
        ASSERT_TRUE(hp) << c.text << ": " << why;
        EXPECT_EQ(hp->host, c.host);
        EXPECT_EQ(hp->port, c.port);
    }
}

TEST(HostPort, SaysWhatIsWrong) {
    for (const Bad c : {
             Bad{.text = "", .why = "missing; expected \"host:port\""},
             Bad{.text = "host", .why = "no port; expected \"host:port\""},
             Bad{.text = ":80", .why = "empty host"},
             Bad{.text = "a b:80", .why = "bad character in host"},
             Bad{.text = "h/x:80", .why = "bad character in host"},
             Bad{.text = "::1:80", .why = "bad character in host"},  // v6 needs brackets
             Bad{.text = "[::1]80", .why = "an IPv6 literal must look like \"[addr]:port\""},
             Bad{.text = "[::1", .why = "an IPv6 literal must look like \"[addr]:port\""},
             Bad{.text = "[]:80", .why = "bad IPv6 literal"},
             Bad{.text = "[::g]:80", .why = "bad character in IPv6 literal"},
             Bad{.text = "host:", .why = "port must be 1..65535"},
             Bad{.text = "h:0", .why = "port must be 1..65535"},
             Bad{.text = "h:65536", .why = "port must be 1..65535"},
             Bad{.text = "h:99999999999", .why = "port must be 1..65535"},
             Bad{.text = "h:-1", .why = "port must be 1..65535"},
             Bad{.text = "h:+80", .why = "port must be 1..65535"},
             Bad{.text = "h: 80", .why = "port must be 1..65535"},
             Bad{.text = "h:80x", .why = "port must be 1..65535"},  // trailing garbage
             Bad{.text = "h:8 0", .why = "port must be 1..65535"},
             Bad{.text = "[::1]:80]:81", .why = "port must be 1..65535"},
             Bad{.text = "h:000080", .why = "port must be 1..65535"},
         }) {
        std::string why;
        const auto hp = parse_host_port(c.text, {}, why);
        ASSERT_FALSE(hp) << c.text;
        EXPECT_EQ(hp.error(), make_error_code(Errc::bad_request));
        EXPECT_EQ(why, c.why) << c.text;
    }
}

TEST(HostPort, PortZeroOnlyWhenAllowed) {
    std::string why;
    const auto any = parse_host_port("0.0.0.0:0", {.allow_port_zero = true}, why);
    ASSERT_TRUE(any) << why;
    EXPECT_EQ(any->port, 0);
    EXPECT_FALSE(parse_host_port("0.0.0.0:0", {}, why));
    // The range in the message follows the rule.
    EXPECT_FALSE(parse_host_port("h:70000", {.allow_port_zero = true}, why));
    EXPECT_EQ(why, "port must be 0..65535");
}

TEST(HostPort, HostLengthIsCapped) {
    std::string why;
    EXPECT_TRUE(parse_host_port(std::string(kMaxHostName, 'h') + ":1", {}, why));
    EXPECT_FALSE(parse_host_port(std::string(kMaxHostName + 1, 'h') + ":1", {}, why));
    EXPECT_EQ(why, "host longer than 253 bytes");
    EXPECT_FALSE(parse_host_port("[" + std::string(kMaxIpv6Literal + 1, '1') + "]:1", {}, why));
    EXPECT_EQ(why, "bad IPv6 literal");
}

TEST(HostPort, ReasonNeverEchoesTheInput) {
    std::string why;
    const std::string binary("h\n\x01:80", 5);
    EXPECT_FALSE(parse_host_port(binary, {}, why));
    EXPECT_EQ(why.find('\n'), std::string::npos);
    EXPECT_EQ(why.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace p2pls
