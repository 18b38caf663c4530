#include "source/core/source_metrics.hpp"

#include "common/core/metrics_registry.hpp"

namespace p2pls::source {

std::string render_source_metrics(const SourceStats& s, const ChunkerStats& c) {
    MetricsRegistry m;
    const auto count = [](std::uint64_t v) { return static_cast<double>(v); };
    m.counter("p2pls_source_chunks_total", "Chunks cut, signed and published.")
        .set(count(s.chunks));
    m.counter("p2pls_source_payload_bytes_total", "MPEG-TS bytes in published chunks.")
        .set(count(s.payload_bytes));
    m.gauge("p2pls_source_live_seq", "Seq of the newest chunk published; -1 before the first.")
        .set(s.live_edge ? static_cast<double>(*s.live_edge) : -1.0);
    m.counter("p2pls_source_forced_cuts_total",
              "Chunks cut at the size cap rather than at a key frame (the encoder's GOP is too "
              "long for --chunk-ms).")
        .set(count(s.forced_cuts));
    m.counter("p2pls_source_input_bytes_total", "MPEG-TS bytes the encoder or replay delivered.")
        .set(count(c.bytes_in));
    m.counter("p2pls_source_input_skipped_bytes_total",
              "Input bytes dropped while finding TS packet sync.")
        .set(count(c.skipped_bytes));
    m.counter("p2pls_source_input_sync_losses_total", "Times the input lost TS packet sync.")
        .set(count(c.sync_losses));
    m.counter("p2pls_source_input_bad_packets_total",
              "TS packets dropped for a transport error or an inconsistent header.")
        .set(count(c.bad_packets));
    m.counter("p2pls_source_input_pts_discontinuities_total",
              "Jumps in the input's timestamps (a --loop restart, a broken file).")
        .set(count(c.pts_discontinuities));
    m.counter("p2pls_source_key_frames_total", "Key frames seen in the input.")
        .set(count(c.key_frames));
    return m.render();
}

}  // namespace p2pls::source
