// --delay-ms and --link-delay, the user-space link emulation of p2pls-peer, p2pls-source
// and decade-server (common/core/link_delay.hpp): what the node holds back before it
// sends, towards whom. The testbed reads the flags' help to find them. Header-only so
// that each executable's CLI11 setup stays in its main.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/core/link_delay.hpp"

namespace p2pls::cli {

struct LinkDelayFlags {
    std::uint32_t default_ms = 0;
    std::vector<std::string> rules;

    [[nodiscard]] LinkDelays delays() const {
        LinkDelays d{std::chrono::milliseconds(default_ms)};
        for (const std::string& text : rules) {
            std::string why;
            if (const auto rule = parse_link_delay_rule(text, why)) {
                d.add(*rule);  // malformed rules were refused when parsing the flags
            }
        }
        return d;
    }
};

// `what`: what the node delays, for the help ("every message this node sends").
inline void add_link_delay_flags(CLI::App& app, LinkDelayFlags& f,
                                 const std::string& what = "every message this node sends") {
    app.add_option("--delay-ms", f.default_ms,
                   "One-way delay added in user space to " + what +
                       ", ms (0-10000; netem-free link emulation); --link-delay overrides it "
                       "per destination")
        ->check(CLI::Range(0, 10'000))
        ->capture_default_str();
    app.add_option("--link-delay", f.rules,
                   "CIDR=MS: the one-way delay towards destinations in an IPv4 block instead "
                   "of --delay-ms (repeatable; the longest prefix wins), e.g. "
                   "127.17.0.0/16=35")
        ->check(
            [](const std::string& text) {
                std::string why;
                return parse_link_delay_rule(text, why) ? std::string{} : "--link-delay: " + why;
            },
            "CIDR=MS");
}

}  // namespace p2pls::cli
