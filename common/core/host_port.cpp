#include "common/core/host_port.hpp"

#include <charconv>

namespace p2pls {
namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

bool is_ipv6_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text, HostPortRules rules, std::string& why) {
    const auto fail = [&](const char* reason) -> Result<HostPort> {
        why = reason;
        return Errc::bad_request;
    };
    if (text.empty()) {
        return fail("missing; expected \"host:port\"");
    }
    std::string_view host;
    std::string_view port;
    if (text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) {
            return fail("an IPv6 literal must look like \"[addr]:port\"");
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.empty() || host.size() > kMaxIpv6Literal) {
            return fail("bad IPv6 literal");
        }
        for (const char c : host) {
            if (!is_ipv6_char(c)) {
                return fail("bad character in IPv6 literal");
            }
        }
    } else {
        // The last ':' splits, so an unbracketed IPv6 address leaves a ':' in the host,
        // which is then refused.
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return fail("no port; expected \"host:port\"");
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.empty()) {
            return fail("empty host");
        }
        if (host.size() > kMaxHostName) {
            return fail("host longer than 253 bytes");
        }
        for (const char c : host) {
            if (!is_name_char(c)) {
                return fail("bad character in host");
            }
        }
    }
    const char* const range =
        rules.allow_port_zero ? "port must be 0..65535" : "port must be 1..65535";
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    // from_chars takes no sign or space; the size cap keeps "000000080" out too.
    if (port.empty() || port.size() > 5 || ec != std::errc{} || end != port.data() + port.size() ||
        value > 65535 || (value == 0 && !rules.allow_port_zero)) {
        return fail(range);
    }
    return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace p2pls
