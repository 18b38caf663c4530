// alto::parse_alto_maps on any text. A file that parses is a complete map: every address
// of both families finds a PID, the vtag is 64 hex digits, and the same text parses to
// the same vtag again.
#include <string>
#include <variant>

#include "alto/core/alto_maps.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace alto = p2pls::alto;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = alto::parse_alto_maps(text);
    if (std::holds_alternative<std::string>(parsed)) {
        FUZZ_CHECK(!std::get<std::string>(parsed).empty());
        return 0;
    }
    const auto& maps = std::get<alto::AltoMaps>(parsed);
    FUZZ_CHECK(maps.vtag.size() == 64);
    const auto again = alto::parse_alto_maps(text);
    FUZZ_CHECK(std::get<alto::AltoMaps>(again).vtag == maps.vtag);
    for (const auto& [address, family] :
         {std::pair{"10.1.2.3", alto::Family::ipv4},
          std::pair{"255.255.255.255", alto::Family::ipv4}, std::pair{"::", alto::Family::ipv6},
          std::pair{"2001:db8::1", alto::Family::ipv6}}) {
        const auto a = alto::parse_address(address, family);
        FUZZ_CHECK(a && maps.network.lookup(*a) < maps.network.pids().size());
    }
    FUZZ_CHECK(maps.routing.pids() == maps.network.pids().size());
    return 0;
}
