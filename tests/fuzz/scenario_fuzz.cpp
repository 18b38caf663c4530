// The testbed's scenario parser on any TOML text: it either names what is wrong or returns
// a scenario that passes validate(), whose sweep values all give valid scenarios too, and
// whose supply figures do not overflow.
#include <variant>

#include "experiments/core/scenario.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace p2pls::experiments;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = parse_scenario(text, "fuzz");
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        FUZZ_CHECK(!error->message.empty());
        return 0;
    }
    const auto& scenario = std::get<Scenario>(parsed);
    FUZZ_CHECK(!validate(scenario).has_value());
    const Supply supply = supply_of(scenario);
    std::uint64_t servers = 0;
    for (std::size_t i = 0; i < scenario.decade_servers.size(); ++i) {
        const std::uint64_t egress = server_egress_bps(scenario, i);
        FUZZ_CHECK(servers + egress >= servers);
        servers += egress;
    }
    FUZZ_CHECK(supply.decade_servers_bps == servers);
    for (const double value : scenario.sweep_values) {
        FUZZ_CHECK(!validate(with_sweep_value(scenario, value)).has_value());
    }
    return 0;
}
