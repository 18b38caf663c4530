#include "peer/core/peer_metrics.hpp"

#include "common/core/metrics_registry.hpp"

namespace p2pls::peer {

std::string render_peer_metrics(const report::QoeReport& r) {
    MetricsRegistry m;
    const auto count = [](auto v) { return static_cast<double>(v); };
    m.gauge("p2pls_peer_startup_delay_seconds",
            "Seconds from start to the first chunk played; -1 until playback starts.")
        .set(r.startup_delay_s());
    m.counter("p2pls_peer_chunks_due_total", "Chunks whose play time has come.")
        .set(count(r.chunks_due()));
    m.counter("p2pls_peer_chunks_missed_total", "Chunks not held when their play time came.")
        .set(count(r.chunks_missed()));
    m.counter("p2pls_peer_freezes_total", "Times playback stalled.").set(count(r.freezes()));
    m.counter("p2pls_peer_stalled_seconds_total", "Seconds spent stalled.").set(r.stalled_s());
    m.counter("p2pls_peer_upload_media_bytes_total", "Chunk payload bytes sent to neighbours.")
        .set(count(r.upload_media_bytes()));
    m.counter("p2pls_peer_upload_control_bytes_total", "Control message bytes sent to neighbours.")
        .set(count(r.upload_control_bytes()));
    m.counter("p2pls_peer_download_media_bytes_total", "Chunk payload bytes received.")
        .set(count(r.download_media_bytes()));
    m.counter("p2pls_peer_download_control_bytes_total", "Control message bytes received.")
        .set(count(r.download_control_bytes()));
    m.counter("p2pls_peer_bytes_from_source_total", "Chunk bytes received from the source.")
        .set(count(r.bytes_from_source()));
    m.counter("p2pls_peer_bytes_from_peers_total", "Chunk bytes received from other peers.")
        .set(count(r.bytes_from_peers()));
    m.counter("p2pls_peer_bytes_from_decade_total",
              "Chunk bytes fetched from DECADE storage (a neighbour's locker).")
        .set(count(r.bytes_from_decade()));
    m.counter("p2pls_peer_chunks_rejected_total",
              "Chunks that failed verification and were dropped.")
        .set(count(r.chunks_rejected()));
    m.counter("p2pls_peer_decade_fallbacks_total",
              "DECADE fetches that failed and were asked of a peer or the source instead.")
        .set(count(r.fallbacks()));
    m.gauge("p2pls_peer_neighbors", "Neighbours connected now.").set(count(r.neighbors()));
    return m.render();
}

}  // namespace p2pls::peer
