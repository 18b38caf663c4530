// The player's own /metrics families (its embedded peer's come from
// peer/core/peer_metrics.hpp and are served beside them): what the viewer saw (startup to
// the first decoded frame, stalls, lag) and what the local HTTP output served. A pure
// function of figures the player node gathers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace p2pls::player {

struct PlayerMetrics {
    std::optional<double> startup_delay_s;  // to the first decoded frame
    std::optional<double> lag_s;
    std::optional<double> buffer_s;
    bool stalled = false;
    std::uint64_t frames_decoded = 0;
    std::uint64_t chunks_played = 0;
    // The HTTP output (all zero without --http-out).
    std::uint64_t stream_clients = 0;
    std::uint64_t stream_clients_dropped = 0;
    std::uint64_t connections_refused = 0;
    std::uint64_t playlist_requests = 0;
    std::uint64_t segment_requests = 0;
    std::uint64_t segments_not_found = 0;
    std::uint64_t http_bytes_sent = 0;
    std::uint64_t hls_segments = 0;
    std::uint64_t hls_discontinuities = 0;
};

[[nodiscard]] std::string render_player_metrics(const PlayerMetrics& m);

}  // namespace p2pls::player
