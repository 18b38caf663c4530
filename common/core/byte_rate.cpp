#include "common/core/byte_rate.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace p2pls {
namespace {

struct Suffix {
    std::string_view text;
    double bytes;  // per unit
};

// Longest first, so that "4Mbit" is not read as "4Mbi" and a "t".
constexpr std::array<Suffix, 9> kSuffixes{{{"kbit", 1e3 / 8},
                                           {"Mbit", 1e6 / 8},
                                           {"Gbit", 1e9 / 8},
                                           {"k", 1e3},
                                           {"K", 1e3},
                                           {"M", 1e6},
                                           {"m", 1e6},
                                           {"G", 1e9},
                                           {"g", 1e9}}};

}  // namespace

Result<std::uint64_t> parse_byte_rate(std::string_view text) {
    const std::error_code invalid = make_error_code(Errc::config_invalid);
    double unit = 1;
    for (const Suffix& s : kSuffixes) {
        if (text.size() > s.text.size() && text.ends_with(s.text)) {
            unit = s.bytes;
            text.remove_suffix(s.text.size());
            break;
        }
    }
    // from_chars takes neither a leading '+' nor (for us) a '-'; reject both explicitly.
    if (text.empty() || text.front() == '-' || text.front() == '+') {
        return invalid;
    }
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
    if (ec != std::errc{} || ptr != end || !std::isfinite(value)) {
        return invalid;
    }
    const double bytes = value * unit;
    if (bytes > static_cast<double>(kMaxByteRate) || (unit == 1 && bytes != std::floor(bytes))) {
        return invalid;
    }
    return static_cast<std::uint64_t>(std::llround(bytes));
}

}  // namespace p2pls
