// What the source has produced, and its /metrics families (p2pls_source_*): the chunks it
// cut and signed, the live edge, and the input's health as the chunker saw it. What it
// served to peers comes from the peer driver's own families (p2pls_peer_*), rendered
// beside these. Pure: the running source fills SourceStats, this renders it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "source/core/chunker.hpp"

namespace p2pls::source {

struct SourceStats {
    std::uint64_t chunks = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t duration_us = 0;  // sum of chunk durations (the end-of-stream one aside)
    std::uint64_t timed_bytes = 0;  // payload bytes of those chunks (for the TS rate)
    std::uint32_t min_duration_us = 0;
    std::uint32_t max_duration_us = 0;
    std::uint64_t min_size = 0;
    std::uint64_t max_size = 0;
    std::uint64_t forced_cuts = 0;
    std::optional<std::uint64_t> live_edge;  // newest seq produced
};

[[nodiscard]] std::string render_source_metrics(const SourceStats& stats,
                                                const ChunkerStats& chunker);

}  // namespace p2pls::source
