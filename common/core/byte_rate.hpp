// Rates on command lines and in scenario files, one syntax everywhere: bytes per second
// as a decimal number with an optional k, M or G suffix (powers of 1000: "250000",
// "500k", "1.5M"), or a bit rate with kbit, Mbit or Gbit ("4Mbit" = 500k). A number
// without a suffix is whole bytes; with one, it is rounded to the nearest byte.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls {

inline constexpr std::uint64_t kMaxByteRate =
    1'000'000'000'000'000;  // 1 PB/s: anything above is a typo

// Errc::config_invalid for empty text, junk, a sign, NaN or infinity, a fractional byte
// count, or more than kMaxByteRate.
[[nodiscard]] Result<std::uint64_t> parse_byte_rate(std::string_view text);

// How to write that syntax in a flag's help text.
inline constexpr std::string_view kByteRateHelp =
    "bytes/s: 250000, 500k, 1.5M, or a bit rate such as 4Mbit";

}  // namespace p2pls
