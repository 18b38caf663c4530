// The two value syntaxes of every command line and scenario file: byte rates and
// host:port. Accepted values are in range and printable back; host:port round-trips
// through its canonical spelling, and the error text never echoes the input.
#include <string>

#include "common/core/byte_rate.hpp"
#include "common/core/host_port.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::FuzzInput in(data, size);
    const bool allow_zero = in.boolean();
    const std::string_view text = in.rest();

    if (const auto rate = p2pls::parse_byte_rate(text)) {
        FUZZ_CHECK(*rate <= p2pls::kMaxByteRate);
        // A plain byte count reads back as itself.
        const auto again = p2pls::parse_byte_rate(std::to_string(*rate));
        FUZZ_CHECK(again.has_value() && *again == *rate);
    }

    std::string why;
    const p2pls::HostPortRules rules{.allow_port_zero = allow_zero};
    if (const auto hp = p2pls::parse_host_port(text, rules, why)) {
        FUZZ_CHECK(allow_zero || hp->port != 0);
        FUZZ_CHECK(!hp->host.empty() && hp->host.size() <= p2pls::kMaxHostName);
        const bool v6 = hp->host.find(':') != std::string::npos;
        const std::string canonical =
            (v6 ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(hp->port);
        std::string why_again;
        const auto again = p2pls::parse_host_port(canonical, rules, why_again);
        FUZZ_CHECK(again.has_value() && again->host == hp->host && again->port == hp->port);
    } else {
        FUZZ_CHECK(!why.empty());
        // The reason is one of a few fixed phrases: it never carries the input's bytes.
        FUZZ_CHECK(why.size() < 80);
        for (const char c : why) {
            FUZZ_CHECK(c >= 0x20 && c < 0x7f);
        }
    }
    return 0;
}
