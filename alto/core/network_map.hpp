// An ALTO network map (RFC 7285 §5.1, §11.2.1): named PIDs, each a set of IPv4 and IPv6
// prefixes. An address belongs to the PID of its longest matching prefix. A map is built
// only when it is valid:
//  - every PID name follows §10.1 (1-64 characters: letters, digits, '-', ':', '@', '_', '.');
//  - a prefix is in canonical form (no host bits set) and in one PID only, so that no
//    address has two answers;
//  - the map is complete: both families have a /0 somewhere, so every address has a PID.
// Sans-IO: addresses are parsed with inet_pton, nothing is resolved.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace p2pls::alto {

enum class Family : std::uint8_t { ipv4, ipv6 };

// An address as 128 bits, most significant first; IPv4 uses the top 32.
struct IpAddress {
    Family family = Family::ipv4;
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Prefix {
    IpAddress address;
    std::uint8_t length = 0;

    friend bool operator==(const Prefix&, const Prefix&) = default;
};

// "192.0.2.1" or "2001:db8::1" (no brackets, no zone). nullopt for anything else.
std::optional<IpAddress> parse_address(std::string_view text, Family family);
// The canonical text of an address (inet_ntop's: lower-case hex, "::" for the longest run).
std::string address_text(const IpAddress& address);
// "192.0.2.0/24" or "2001:db8::/32": the address, then the length in decimal. On failure
// `why` says what is wrong, including "host bits set" for 192.0.2.1/24.
std::optional<Prefix> parse_prefix(std::string_view text, Family family, std::string& why);
std::string prefix_text(const Prefix& prefix);

// RFC 7285 §10.1 (PIDName) and §10.2 (ResourceID): 1-64 characters of the same set.
bool valid_pid_name(std::string_view name);

struct Pid {
    std::string name;
    std::vector<Prefix> ipv4;
    std::vector<Prefix> ipv6;
};

class NetworkMap {
  public:
    // The map, or what is wrong with it. PIDs are kept sorted by name.
    static std::variant<NetworkMap, std::string> build(std::vector<Pid> pids);

    [[nodiscard]] const std::vector<Pid>& pids() const noexcept { return pids_; }
    [[nodiscard]] std::optional<std::size_t> find(std::string_view pid_name) const;
    // The index of the PID of `address` (longest prefix match); a complete map always has one.
    [[nodiscard]] std::size_t lookup(const IpAddress& address) const;

  private:
    NetworkMap() = default;

    struct Length {
        std::uint8_t length;
        std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> pids;  // masked address
    };
    std::vector<Pid> pids_;
    // Per family, the prefix lengths in use, longest first.
    std::array<std::vector<Length>, 2> lengths_;
};

}  // namespace p2pls::alto
