#include "alto/core/network_map.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace p2pls::alto {

namespace {

constexpr std::size_t kMaxName = 64;

int index_of(Family family) {
    return family == Family::ipv4 ? 0 : 1;
}
int bits_of(Family family) {
    return family == Family::ipv4 ? 32 : 128;
}

// The address with all but the first `length` bits cleared.
std::pair<std::uint64_t, std::uint64_t> masked(const IpAddress& a, std::uint8_t length) {
    const auto keep = [](std::uint64_t word, int bits) -> std::uint64_t {
        if (bits <= 0) {
            return 0;
        }
        if (bits >= 64) {
            return word;
        }
        return word & ~(~std::uint64_t{0} >> bits);
    };
    return {keep(a.hi, length), keep(a.lo, length - 64)};
}

std::string_view family_name(Family family) {
    return family == Family::ipv4 ? "ipv4" : "ipv6";
}

}  // namespace

std::optional<IpAddress> parse_address(std::string_view text, Family family) {
    // Long enough for any textual IPv6 address (45 bytes); longer text is not an address.
    if (text.empty() || text.size() > 45) {
        return std::nullopt;
    }
    const std::string z(text);
    IpAddress out;
    out.family = family;
    if (family == Family::ipv4) {
        std::array<unsigned char, 4> b{};
        if (inet_pton(AF_INET, z.c_str(), b.data()) != 1) {
            return std::nullopt;
        }
        out.hi = (std::uint64_t{b[0]} << 56) | (std::uint64_t{b[1]} << 48) |
                 (std::uint64_t{b[2]} << 40) | (std::uint64_t{b[3]} << 32);
        return out;
    }
    std::array<unsigned char, 16> b{};
    if (inet_pton(AF_INET6, z.c_str(), b.data()) != 1) {
        return std::nullopt;
    }
    for (int i = 0; i < 8; ++i) {
        out.hi = (out.hi << 8) | b[static_cast<std::size_t>(i)];
        out.lo = (out.lo << 8) | b[static_cast<std::size_t>(i + 8)];
    }
    return out;
}

std::string address_text(const IpAddress& a) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (a.family == Family::ipv4) {
        const std::array<unsigned char, 4> b{
            static_cast<unsigned char>(a.hi >> 56), static_cast<unsigned char>(a.hi >> 48),
            static_cast<unsigned char>(a.hi >> 40), static_cast<unsigned char>(a.hi >> 32)};
        inet_ntop(AF_INET, b.data(), text.data(), text.size());
    } else {
        std::array<unsigned char, 16> b{};
        for (int i = 0; i < 8; ++i) {
            b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(a.hi >> (56 - 8 * i));
            b[static_cast<std::size_t>(i + 8)] = static_cast<unsigned char>(a.lo >> (56 - 8 * i));
        }
        inet_ntop(AF_INET6, b.data(), text.data(), text.size());
    }
    return text.data();
}

std::optional<Prefix> parse_prefix(std::string_view text, Family family, std::string& why) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        why = "no prefix length; expected \"address/length\"";
        return std::nullopt;
    }
    const auto address = parse_address(text.substr(0, slash), family);
    if (!address) {
        why = "not an " + std::string(family_name(family)) + " address";
        return std::nullopt;
    }
    const auto digits = text.substr(slash + 1);
    unsigned length = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || digits.size() > 3 || ec != std::errc{} ||
        end != digits.data() + digits.size() || length > static_cast<unsigned>(bits_of(family))) {
        why = "prefix length must be 0.." + std::to_string(bits_of(family));
        return std::nullopt;
    }
    const Prefix prefix{*address, static_cast<std::uint8_t>(length)};
    const auto [hi, lo] = masked(*address, prefix.length);
    if (hi != address->hi || lo != address->lo) {
        why =
            "host bits set (the prefix is " + prefix_text({{family, hi, lo}, prefix.length}) + ")";
        return std::nullopt;
    }
    return prefix;
}

std::string prefix_text(const Prefix& prefix) {
    return address_text(prefix.address) + "/" + std::to_string(prefix.length);
}

bool valid_pid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxName) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == ':' || c == '@' || c == '_' || c == '.';
    });
}

std::variant<NetworkMap, std::string> NetworkMap::build(std::vector<Pid> pids) {
    if (pids.empty()) {
        return std::string("the network map has no PID");
    }
    std::sort(pids.begin(), pids.end(), [](const Pid& a, const Pid& b) { return a.name < b.name; });
    NetworkMap map;
    std::array<bool, 2> complete{false, false};
    for (std::size_t i = 0; i < pids.size(); ++i) {
        const Pid& pid = pids[i];
        if (!valid_pid_name(pid.name)) {
            return "PID \"" + pid.name.substr(0, kMaxName) +
                   "\": a PID name is 1-64 letters, digits, '-', ':', '@', '_' or '.'";
        }
        if (i > 0 && pids[i - 1].name == pid.name) {
            return "PID \"" + pid.name + "\" is defined twice";
        }
        if (pid.ipv4.empty() && pid.ipv6.empty()) {
            return "PID \"" + pid.name + "\" has no prefix";
        }
        for (const auto* list : {&pid.ipv4, &pid.ipv6}) {
            for (const Prefix& prefix : *list) {
                const int f = index_of(prefix.address.family);
                auto& lengths = map.lengths_[static_cast<std::size_t>(f)];
                auto it = std::find_if(lengths.begin(), lengths.end(),
                                       [&](const Length& l) { return l.length == prefix.length; });
                if (it == lengths.end()) {
                    lengths.push_back({prefix.length, {}});
                    it = std::prev(lengths.end());
                }
                const auto [at, inserted] =
                    it->pids.emplace(masked(prefix.address, prefix.length), i);
                if (!inserted) {
                    const auto& other = pids[at->second].name;
                    return "prefix " + prefix_text(prefix) + " is in " +
                           (other == pid.name
                                ? "PID \"" + pid.name + "\" twice"
                                : "both PID \"" + other + "\" and PID \"" + pid.name + "\"");
                }
                complete[static_cast<std::size_t>(f)] =
                    complete[static_cast<std::size_t>(f)] || prefix.length == 0;
            }
        }
    }
    for (const Family family : {Family::ipv4, Family::ipv6}) {
        if (!complete[static_cast<std::size_t>(index_of(family))]) {
            return std::string("the network map is not complete: no PID holds ") +
                   (family == Family::ipv4 ? "0.0.0.0/0" : "::/0") +
                   ", so some addresses would have no PID (give one, e.g. to a \"default\" "
                   "PID)";
        }
    }
    for (auto& lengths : map.lengths_) {
        std::sort(lengths.begin(), lengths.end(),
                  [](const Length& a, const Length& b) { return a.length > b.length; });
    }
    map.pids_ = std::move(pids);
    return map;
}

std::optional<std::size_t> NetworkMap::find(std::string_view pid_name) const {
    const auto it = std::lower_bound(pids_.begin(), pids_.end(), pid_name,
                                     [](const Pid& p, std::string_view n) { return p.name < n; });
    if (it == pids_.end() || it->name != pid_name) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - pids_.begin());
}

std::size_t NetworkMap::lookup(const IpAddress& address) const {
    for (const Length& l : lengths_[static_cast<std::size_t>(index_of(address.family))]) {
        if (const auto it = l.pids.find(masked(address, l.length)); it != l.pids.end()) {
            return it->second;
        }
    }
    return 0;  // unreachable for a built map: every family has a /0
}

}  // namespace p2pls::alto
