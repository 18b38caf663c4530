// Number and table formatting shared by the testbed's report writers (summary.md, the
// claims table, the aggregate over seeds): one place decides how a rate, a byte count or
// a column looks, so that the per-seed and the aggregate reports read alike.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace p2pls::experiments {

// `v` with `digits` decimals ("%.*f").
std::string fixed(double v, int digits);

// "1.5 s", or "-" for a negative value (the testbed's "nobody started").
std::string seconds_or_dash(double v);

// Bytes with a decimal unit chosen by size: "512 B", "12.3 kB", "4.56 MB", "1.20 GB".
std::string bytes_human(std::uint64_t bytes);

// Bytes/s as "x.xx Mbit/s".
std::string rate_human(std::uint64_t bytes_per_s);

// One CSV field, quoted when it holds a comma, a quote or a newline (newlines become
// spaces so that every record stays on one line).
std::string csv_field(std::string_view s);

// How many terminal columns a UTF-8 string takes (one per code point; the reports only
// use narrow characters such as the en dash).
std::size_t display_width(std::string_view s);

// Rows of cells as left-aligned columns separated by two spaces, a rule of dashes under
// the first row.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace p2pls::experiments
