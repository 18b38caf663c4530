#include "peer/core/qoe_report.hpp"

namespace p2pls::peer {
namespace {

double ratio(std::uint64_t num, std::uint64_t den) {
    return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

report::QoeReport make_qoe_report(const QoeInputs& in, TimePoint now, bool final) {
    report::QoeReport r;
    r.set_peer_id(in.peer_id.value());
    r.set_mode(in.decade ? "decade" : "native");
    r.set_elapsed_s(to_seconds(now - in.started_at));
    r.set_final(final);
    const PlaybackStats p = in.playback.stats(now);
    r.set_startup_delay_s(p.startup_delay ? to_seconds(*p.startup_delay) : -1.0);
    r.set_chunks_due(p.chunks_due);
    r.set_chunks_missed(p.chunks_missed);
    r.set_miss_rate(ratio(p.chunks_missed, p.chunks_due));
    r.set_freezes(p.freezes);
    r.set_stalled_s(to_seconds(p.stalled));
    const Traffic& t = in.traffic;
    r.set_upload_media_bytes(t.upload_media_bytes);
    r.set_upload_control_bytes(t.upload_control_bytes);
    r.set_download_media_bytes(t.download_media_bytes);
    r.set_download_control_bytes(t.download_control_bytes);
    r.set_bytes_from_source(t.bytes_from_source);
    r.set_bytes_from_peers(t.bytes_from_peers);
    const DecadeStats& d = in.decade_stats;
    r.set_bytes_from_decade(d.bytes_from_decade);
    r.set_decade_batches(d.batches);
    r.set_mean_batch_size(ratio(d.batched_objects, d.batches));
    r.set_fallbacks(d.fallbacks);
    r.set_token_failures(d.token_failures);
    r.set_decade_control_bytes(d.control_bytes);
    r.set_chunks_rejected(t.chunks_rejected);
    r.set_neighbors(in.neighbors);
    // The engine counts media where it hands chunks to the socket.
    r.set_socket_media_bytes_sent(t.upload_media_bytes);
    return r;
}

}  // namespace p2pls::peer
