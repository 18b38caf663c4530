#include "common/core/http_range.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace p2pls::http {

namespace {

// Decimal digits only (no sign, no spaces), within 64 bits.
std::optional<std::uint64_t> decimal(std::string_view text) {
    if (text.empty() || text.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

ByteRange byte_range(std::string_view header, std::uint64_t size) {
    const ByteRange whole{ByteRange::Kind::whole, 0, size};
    header = trim(header);
    constexpr std::string_view kUnit = "bytes=";
    if (header.size() <= kUnit.size()) {
        return whole;
    }
    // The unit is case-insensitive; anything but bytes is ignored.
    for (std::size_t i = 0; i < kUnit.size(); ++i) {
        const char c = header[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kUnit[i]) {
            return whole;
        }
    }
    const std::string_view spec = trim(header.substr(kUnit.size()));
    if (spec.find(',') != std::string_view::npos) {
        return whole;  // several ranges: one whole body is a valid answer
    }
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) {
        return whole;
    }
    const std::string_view from = trim(spec.substr(0, dash));
    const std::string_view to = trim(spec.substr(dash + 1));
    const ByteRange none{ByteRange::Kind::unsatisfiable, 0, 0};
    if (from.empty()) {
        // The last n bytes.
        const auto n = decimal(to);
        if (!n) {
            return whole;
        }
        if (*n == 0 || size == 0) {
            return none;
        }
        const std::uint64_t length = std::min(*n, size);
        return {ByteRange::Kind::part, size - length, length};
    }
    const auto first = decimal(from);
    const auto last = to.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : decimal(to);
    if (!first || !last || *last < *first) {
        return whole;  // malformed: ignored, as the RFC allows
    }
    if (*first >= size) {
        return none;
    }
    const std::uint64_t end = std::min(*last, size - 1);
    return {ByteRange::Kind::part, *first, end - *first + 1};
}

std::string content_range(const ByteRange& range, std::uint64_t size) {
    if (range.kind == ByteRange::Kind::part) {
        return "bytes " + std::to_string(range.first) + "-" +
               std::to_string(range.first + range.length - 1) + "/" + std::to_string(size);
    }
    return "bytes */" + std::to_string(size);
}

}  // namespace p2pls::http
