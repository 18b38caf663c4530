#include "player/core/player_metrics.hpp"

#include "common/core/metrics_registry.hpp"

namespace p2pls::player {

std::string render_player_metrics(const PlayerMetrics& p) {
    MetricsRegistry m;
    const auto count = [](auto v) { return static_cast<double>(v); };
    m.gauge("p2pls_player_startup_delay_seconds",
            "Seconds from start to the first decoded frame; -1 until then.")
        .set(p.startup_delay_s.value_or(-1.0));
    m.gauge("p2pls_player_lag_seconds", "Playback behind the live edge; -1 while unknown.")
        .set(p.lag_s.value_or(-1.0));
    m.gauge("p2pls_player_buffer_seconds", "Media held ahead of the playhead; -1 while unknown.")
        .set(p.buffer_s.value_or(-1.0));
    m.gauge("p2pls_player_stalled", "1 while no chunk has come for two chunk durations.")
        .set(p.stalled ? 1.0 : 0.0);
    m.counter("p2pls_player_frames_decoded_total", "Video frames the decoder produced.")
        .set(count(p.frames_decoded));
    m.counter("p2pls_player_chunks_played_total", "Verified chunks handed to playback.")
        .set(count(p.chunks_played));
    m.gauge("p2pls_player_stream_clients", "Clients reading /stream.ts now.")
        .set(count(p.stream_clients));
    m.counter("p2pls_player_stream_clients_dropped_total",
              "/stream.ts clients dropped for reading too slowly.")
        .set(count(p.stream_clients_dropped));
    m.counter("p2pls_player_http_connections_refused_total",
              "HTTP connections answered 503 because the output was at its connection cap.")
        .set(count(p.connections_refused));
    m.counter("p2pls_player_hls_requests_total", "HLS requests, by what was asked.",
              {{"resource", "playlist"}})
        .set(count(p.playlist_requests));
    m.counter("p2pls_player_hls_requests_total", "HLS requests, by what was asked.",
              {{"resource", "segment"}})
        .set(count(p.segment_requests));
    m.counter("p2pls_player_hls_segments_not_found_total",
              "Segment requests outside the live window (answered 404).")
        .set(count(p.segments_not_found));
    m.counter("p2pls_player_http_media_bytes_sent_total",
              "Media bytes written to local HTTP clients (/stream.ts and segments).")
        .set(count(p.http_bytes_sent));
    m.gauge("p2pls_player_hls_window_segments", "Segments in the live playlist now.")
        .set(count(p.hls_segments));
    m.counter("p2pls_player_hls_discontinuities_total",
              "Discontinuities in the HLS timeline (a missed chunk or a source restart).")
        .set(count(p.hls_discontinuities));
    return m.render();
}

}  // namespace p2pls::player
