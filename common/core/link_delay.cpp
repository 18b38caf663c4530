#include "common/core/link_delay.hpp"

#include <algorithm>
#include <charconv>

namespace p2pls {
namespace {

std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t max) {
    std::uint32_t v = 0;
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v > max) {
        return std::nullopt;
    }
    return v;
}

std::uint32_t mask(std::uint8_t bits) {
    return bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
    std::uint32_t out = 0;
    for (int part = 0; part < 4; ++part) {
        const auto dot = text.find('.');
        const bool last = part == 3;
        if (last != (dot == std::string_view::npos)) {
            return std::nullopt;
        }
        const std::string_view digits = last ? text : text.substr(0, dot);
        if (digits.size() > 3) {
            return std::nullopt;
        }
        const auto octet = parse_decimal(digits, 255);
        if (!octet) {
            return std::nullopt;
        }
        out = out << 8 | *octet;
        text = last ? std::string_view{} : text.substr(dot + 1);
    }
    return out;
}

std::optional<LinkDelayRule> parse_link_delay_rule(std::string_view text, std::string& why) {
    const auto eq = text.find('=');
    const auto slash = text.find('/');
    if (eq == std::string_view::npos || slash == std::string_view::npos || slash > eq) {
        why = "expected CIDR=MS, e.g. 127.17.0.0/16=35";
        return std::nullopt;
    }
    const auto address = parse_ipv4(text.substr(0, slash));
    if (!address) {
        why = "the prefix must be a dotted-quad IPv4 address";
        return std::nullopt;
    }
    const auto bits = parse_decimal(text.substr(slash + 1, eq - slash - 1), 32);
    if (!bits) {
        why = "the prefix length must be 0..32";
        return std::nullopt;
    }
    const auto ms =
        parse_decimal(text.substr(eq + 1), static_cast<std::uint32_t>(kMaxLinkDelay.count()));
    if (!ms) {
        why = "the delay must be whole ms, 0..10000";
        return std::nullopt;
    }
    LinkDelayRule rule;
    rule.prefix_bits = static_cast<std::uint8_t>(*bits);
    rule.network = *address & mask(rule.prefix_bits);
    rule.delay = std::chrono::milliseconds(*ms);
    return rule;
}

std::chrono::milliseconds LinkDelays::to_host(std::string_view host) const {
    const auto address = parse_ipv4(host);
    if (!address) {
        return default_;
    }
    const LinkDelayRule* best = nullptr;
    for (const LinkDelayRule& r : rules_) {
        if ((*address & mask(r.prefix_bits)) == r.network &&
            (best == nullptr || r.prefix_bits > best->prefix_bits)) {
            best = &r;
        }
    }
    return best != nullptr ? best->delay : default_;
}

std::chrono::milliseconds LinkDelays::to_url(std::string_view url) const {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return default_;
    }
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    rest = rest.substr(rest.find('@') == std::string_view::npos ? 0 : rest.find('@') + 1);
    if (rest.starts_with('[')) {
        return to_host(rest.substr(1, rest.find(']') - 1));
    }
    return to_host(rest.substr(0, rest.find(':')));
}

bool LinkDelays::none() const {
    return default_.count() == 0 && std::all_of(rules_.begin(), rules_.end(),
                                                [](const auto& r) { return r.delay.count() == 0; });
}

}  // namespace p2pls
