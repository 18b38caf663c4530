// User-space link emulation for the testbed (this kernel has no netem): the one-way delay a
// node adds to what it sends towards a destination, chosen by the destination's IPv4
// address. The testbed gives each region's nodes their own loopback block
// (127.16+r.0.0/16), so one rule per region turns the scenario's region-to-region delay
// matrix into what each node holds back.
//
//   rule     "CIDR=MS": "127.17.0.0/16=35" (MS 0..10000; the longest matching prefix wins)
//   default  for every address no rule matches (names, IPv6, other blocks)
//
// Pure: nothing is resolved; a host that is not an IPv4 literal gets the default.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2pls {

inline constexpr std::chrono::milliseconds kMaxLinkDelay{10'000};

struct LinkDelayRule {
    std::uint32_t network = 0;  // host byte order, masked to prefix_bits
    std::uint8_t prefix_bits = 0;
    std::chrono::milliseconds delay{0};
};

// "CIDR=MS"; nullopt with `why` (a short phrase, never echoing the input) when malformed.
std::optional<LinkDelayRule> parse_link_delay_rule(std::string_view text, std::string& why);

// A dotted-quad IPv4 address, host byte order; nullopt for anything else.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

class LinkDelays {
  public:
    LinkDelays() = default;
    explicit LinkDelays(std::chrono::milliseconds default_delay) : default_(default_delay) {}

    void add(const LinkDelayRule& rule) { rules_.push_back(rule); }
    void set_default(std::chrono::milliseconds d) { default_ = d; }

    // The delay towards `host` (an address without port or brackets).
    [[nodiscard]] std::chrono::milliseconds to_host(std::string_view host) const;
    // The delay towards the host of an http:// or https:// URL.
    [[nodiscard]] std::chrono::milliseconds to_url(std::string_view url) const;
    // No delay towards anyone.
    [[nodiscard]] bool none() const;

  private:
    std::chrono::milliseconds default_{0};
    std::vector<LinkDelayRule> rules_;
};

}  // namespace p2pls
