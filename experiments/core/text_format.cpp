#include "experiments/core/text_format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace p2pls::experiments {

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string seconds_or_dash(double v) {
    return v < 0 ? "-" : fixed(v, 1) + " s";
}

std::string bytes_human(std::uint64_t b) {
    const double v = static_cast<double>(b);
    if (v >= 1e9) {
        return fixed(v / 1e9, 2) + " GB";
    }
    if (v >= 1e6) {
        return fixed(v / 1e6, 2) + " MB";
    }
    if (v >= 1e3) {
        return fixed(v / 1e3, 1) + " kB";
    }
    return std::to_string(b) + " B";
}

std::string rate_human(std::uint64_t bytes_per_s) {
    return fixed(static_cast<double>(bytes_per_s) * 8.0 / 1e6, 2) + " Mbit/s";
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n") == std::string_view::npos) {
        return std::string(s);
    }
    std::string out = "\"";
    for (const char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
    }
    return out + "\"";
}

std::size_t display_width(std::string_view s) {
    // Continuation bytes (10xxxxxx) do not start a code point.
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) {
            width[i] = std::max(width[i], display_width(row[i]));
        }
    }
    std::ostringstream out;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t i = 0; i < rows[r].size(); ++i) {
            out << rows[r][i] << std::string(width[i] - display_width(rows[r][i]) + 2, ' ');
        }
        out << '\n';
        if (r == 0) {
            std::size_t total = 0;
            for (const auto w : width) {
                total += w + 2;
            }
            out << std::string(total, '-') << '\n';
        }
    }
    return out.str();
}

}  // namespace p2pls::experiments
