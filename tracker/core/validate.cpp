#include "tracker/core/validate.hpp"

#include <utility>

namespace p2pls::tracker {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_printable_no_space(char c) {
    return c > ' ' && c < 0x7f;
}

// Quotes at most 40 bytes of a bad value, with non-printable bytes shown as '?', so that
// an error detail never echoes a huge or binary input.
std::string quote(std::string_view value) {
    std::string out = "\"";
    for (std::size_t i = 0; i < value.size() && i < 40; ++i) {
        const char c = value[i];
        out += (c >= ' ' && c < 0x7f && c != '"' && c != '\\') ? c : '?';
    }
    if (value.size() > 40) {
        out += "...";
    }
    return out + "\"";
}

std::string field_str(std::string_view field) {
    return std::string(field);
}

}  // namespace

Expected<HostPort> parse_host_port(std::string_view text, std::string_view field) {
    std::string why;
    auto hp = p2pls::parse_host_port(text, {}, why);
    if (!hp) {
        return HttpError(HttpErrc::bad_endpoint, field_str(field) + " " + quote(text) + ": " + why);
    }
    return std::move(*hp);
}

std::optional<HttpError> check_channel_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxChannelName) {
        return HttpError(HttpErrc::bad_channel, "channel name must be 1..64 characters");
    }
    for (const char c : name) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') {
            return HttpError(
                HttpErrc::bad_channel,
                "channel name " + quote(name) + " may only hold letters, digits, '.', '_', '-'");
        }
    }
    return std::nullopt;
}

std::optional<HttpError> check_peer_id(std::string_view id, std::string_view field) {
    if (id.empty()) {
        return HttpError(HttpErrc::bad_peer_id, field_str(field) + " is empty");
    }
    if (id.size() > kMaxPeerId) {
        return HttpError(HttpErrc::bad_peer_id, field_str(field) + " is longer than 128 bytes");
    }
    for (const char c : id) {
        if (!is_printable_no_space(c)) {
            return HttpError(HttpErrc::bad_peer_id,
                             field_str(field) + " " + quote(id) +
                                 " may only hold printable ASCII without spaces");
        }
    }
    return std::nullopt;
}

std::optional<HttpError> check_url(std::string_view url, std::string_view field) {
    const auto fail = [&](std::string why) {
        return HttpError(HttpErrc::bad_url,
                         field_str(field) + " " + quote(url) + ": " + std::move(why));
    };
    if (url.size() > kMaxUrl) {
        return fail("longer than 512 bytes");
    }
    std::string_view rest;
    if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        rest = url.substr(8);
    } else {
        return fail("must start with http:// or https://");
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (authority.empty()) {
        return fail("no host");
    }
    if (authority.find(':') != std::string_view::npos || authority.front() == '[') {
        if (auto hp = parse_host_port(authority, field); !hp) {
            return fail("bad host:port");
        }
    } else {
        for (const char c : authority) {
            if (!is_alnum(c) && c != '.' && c != '-') {
                return fail("bad character in host");
            }
        }
    }
    for (const char c : url) {
        if (!is_printable_no_space(c)) {
            return fail("may only hold printable ASCII without spaces");
        }
    }
    return std::nullopt;
}

std::optional<HttpError> check_region(std::string_view region, std::string_view field) {
    if (region.size() > kMaxRegion) {
        return HttpError(HttpErrc::bad_region, field_str(field) + " is longer than 64 bytes");
    }
    for (const char c : region) {
        if (!is_printable_no_space(c)) {
            return HttpError(HttpErrc::bad_region,
                             field_str(field) + " " + quote(region) +
                                 " may only hold printable ASCII without spaces");
        }
    }
    return std::nullopt;
}

}  // namespace p2pls::tracker
