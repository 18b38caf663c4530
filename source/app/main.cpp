// p2pls-source: the broadcaster's program ("source" is the streaming role). Captures or
// reads video, encodes H.264 into MPEG-TS, cuts it into signed key-frame-aligned chunks
// and publishes them. Flags are parsed here; the work is in source/net/source_node.
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common/cli/link_delay_flags.hpp"
#include "common/cli/parse_flags.hpp"
#include "common/core/byte_rate.hpp"
#include "common/gst/gst_init.hpp"
#include "common/http/status_server.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"
#include "peer/cli/decade_flags.hpp"
#include "peer/net/peer_node.hpp"
#include "source/core/options.hpp"
#include "source/core/signed_chunk.hpp"
#include "source/core/source_metrics.hpp"
#include "source/gst/ts_pipeline.hpp"
#include "source/io/key_file.hpp"
#include "source/net/announce_signer.hpp"
#include "source/net/source_node.hpp"

namespace {

using namespace p2pls;
using namespace p2pls::source;
namespace snet = p2pls::source::net;

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "p2pls-source: error: %s\n", message.c_str());
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    p2pls::net::route_protobuf_log_to_debug();
    CLI::App app{
        "p2pls-source: the channel's source. Encodes live video (a moving test pattern by\n"
        "default) into H.264/MPEG-TS, cuts it into signed chunks that each start on a key\n"
        "frame and carry PAT/PMT, and serves them to peers.\n"
        "Exit codes: 0 clean stop, 1 bad flag syntax, 2 bad settings/key/record folder,\n"
        "3 media error (missing GStreamer plugin, unreadable input), 4 write error or\n"
        "--listen address in use."};
    app.get_formatter()->column_width(34);

    std::string channel = "live";
    std::string tracker = "http://127.0.0.1:8200";
    std::string listen = "127.0.0.1:8100";
    EncodeSettings encode;
    std::string input;
    std::string replay;
    bool loop = false;
    bool audio = false;
    std::string key_path;
    std::string record_dir;
    std::string upload_limit = "0";
    double duration_s = 0;
    std::string mode = "native";
    std::string log_level = "info";
    std::string port_file;
    std::uint64_t first_seq = 0;
    int http_port = -1;
    p2pls::cli::LinkDelayFlags link_delay;

    app.add_option("--channel", channel, "Channel name")->capture_default_str();
    app.add_option("--tracker", tracker,
                   "Tracker base URL to announce the channel to (\"\" = do not announce)")
        ->capture_default_str();
    app.add_option("--listen", listen, "host:port to serve peers on (port 0: any free port)")
        ->capture_default_str();
    app.add_option("--chunk-ms", encode.chunk_ms, "Chunk duration in ms of stream time (100-10000)")
        ->capture_default_str();
    app.add_option("--bitrate", encode.bitrate_kbps, "H.264 target bitrate, kbit/s (16-100000)")
        ->capture_default_str();
    app.add_option("--width", encode.width, "Video width, pixels (even)")->capture_default_str();
    app.add_option("--height", encode.height, "Video height, pixels (even)")->capture_default_str();
    app.add_option("--fps", encode.fps, "Frames per second (1-120)")->capture_default_str();
    auto* input_opt = app.add_option(
        "--input", input,
        "Video file or URI to re-encode (paced at real time); default: test pattern");
    auto* replay_opt = app.add_option(
        "--replay", replay, "Pre-encoded MPEG-TS file replayed at real time (no encoder)");
    input_opt->excludes(replay_opt);
    app.add_flag("--loop", loop, "Restart --input / --replay at its end");
    app.add_flag("--audio", audio, "Add an AAC 440 Hz tone to the test pattern");
    app.add_option("--key", key_path,
                   "Ed25519 seed file (64 hex digits), created with mode 0600 if missing; default: "
                   "$XDG_STATE_HOME/p2pls/<channel>.key or ./<channel>.key");
    app.add_option(
        "--record", record_dir,
        "Write every chunk to DIR as <seq>.ts, plus index.tsv, public_key.hex and epoch.hex");
    app.add_option("--upload-limit", upload_limit,
                   "Upload cap to peers, " + std::string(p2pls::kByteRateHelp) +
                       "; 0 = unlimited; over it peers get Busy")
        ->capture_default_str();
    app.add_option("--duration", duration_s, "Stop after this many seconds (0 = run until stopped)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--mode", mode,
                   "native (serve peers directly) or decade (put each object into a DECADE locker "
                   "and advertise range tokens; see --decade-server)")
        ->check(CLI::IsMember({"native", "decade"}))
        ->capture_default_str();
    app.add_option("--first-seq", first_seq,
                   "Seq of the first chunk (to continue a channel's numbering after a restart; "
                   "each run signs with a new random epoch, so old chunks never verify)")
        ->capture_default_str();
    app.add_option("--port-file", port_file,
                   "Write the bound peer port to this file (for --listen with port 0)");
    app.add_option("--http", http_port,
                   "Serve GET /stats (JSON: what peers were served) and /metrics (Prometheus) on "
                   "127.0.0.1:PORT")
        ->check(CLI::Range(0, 65535));
    p2pls::cli::add_link_delay_flags(app, link_delay);
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();

    p2pls::cli::DecadeFlags decade_flags;
    p2pls::cli::add_decade_flags(app, decade_flags, /*with_mode=*/false);

    if (const auto done = p2pls::cli::parse_flags(app, argc, argv, "p2pls-source")) {
        return *done;
    }
    spdlog::set_level(spdlog::level::from_str(log_level));

    std::string why;
    if (!validate(encode, why)) {
        return fail(snet::kExitConfig, why);
    }
    const auto upload_bps = p2pls::parse_byte_rate(upload_limit);
    if (!upload_bps) {
        return fail(snet::kExitConfig, "--upload-limit: not a rate: " + upload_limit);
    }
    decade_flags.mode = mode;
    if (p2pls::net::PeerNodeConfig probe;
        auto problem = p2pls::cli::apply_decade_flags(decade_flags, probe)) {
        return fail(snet::kExitConfig, *problem);
    }

    snet::SourceNodeConfig config;
    config.channel = channel;
    config.loop = loop;
    config.record_dir = record_dir;
    config.pipeline.encode = encode;
    config.pipeline.audio = audio;
    if (!p2pls::gst::init_gstreamer(why)) {
        return fail(snet::kExitMedia, why);
    }
    if (!input.empty() || !replay.empty()) {
        config.pipeline.kind =
            input.empty() ? source::gst::InputKind::replay : source::gst::InputKind::media;
        auto location = source::gst::resolve_location(config.pipeline.kind,
                                                      input.empty() ? replay : input, why);
        if (!location) {
            return fail(snet::kExitMedia, why);
        }
        config.pipeline.location = *location;
    } else if (loop) {
        return fail(snet::kExitConfig, "--loop needs --input or --replay");
    }
    if (duration_s > 0) {
        config.duration = std::chrono::milliseconds(static_cast<std::int64_t>(duration_s * 1000));
    }
    config.chunker.chunk_ms = encode.chunk_ms;
    config.chunker.first_seq = first_seq;
    config.chunker.timestamp_base_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();

    if (key_path.empty()) {
        key_path = io::default_key_path(channel);
    }
    const auto key = io::load_or_create_key(key_path, why);
    if (!key) {
        return fail(snet::kExitConfig, why);
    }
    if (key->created) {
        spdlog::info("created channel key {}", key_path);
    }
    if (key->too_open) {
        spdlog::warn("key file {} is readable by others: chmod 600 it", key_path);
    }
    config.keys = key->keys;
    // A new epoch per run: chunks (and announces) of an earlier run never verify in this
    // one, whatever --first-seq says.
    if (sodium_init() < 0) {
        return fail(snet::kExitConfig, "libsodium has no usable random source");
    }
    randombytes_buf(config.epoch.data(), config.epoch.size());
    spdlog::info("channel '{}' public key {}", channel, to_hex(config.keys.public_key));
    spdlog::info("source epoch {}", to_hex(config.epoch));

    boost::asio::io_context io;
    int exit_code = snet::kExitOk;

    // Peers are served by the shared peer driver in origin mode: it holds the chunks
    // published here, answers requests under the upload token bucket (Busy beyond it),
    // never fetches, and announces the channel to the tracker (retrying while it is down).
    p2pls::net::PeerNodeConfig peer;
    peer.engine.channel = channel;
    peer.engine.peer_id = PeerId{"source-" + channel};
    peer.engine.public_key = config.keys.public_key;
    peer.engine.epoch = config.epoch;
    peer.engine.origin = true;
    peer.engine.source_key = config.keys.secret_key;
    peer.sign_announce = snet::make_announce_signer(channel, config.keys, config.epoch);
    peer.engine.chunk_duration = std::chrono::milliseconds(encode.chunk_ms);
    peer.engine.upload_limit_bytes_per_s = *upload_bps;
    // The bucket must hold a whole chunk (TS runs ~1.2x the encoder target), else no chunk
    // ever passes; two chunks let a burst of requests through after an idle moment.
    const std::uint64_t chunk_bytes =
        std::uint64_t{encode.bitrate_kbps} * 1000 / 8 * encode.chunk_ms / 1000 * 12 / 10;
    peer.engine.upload_burst_bytes =
        std::max<std::uint64_t>({peer.engine.upload_burst_bytes, 2 * chunk_bytes, *upload_bps});
    peer.key_from_tracker = false;
    peer.link_delays = link_delay.delays();
    peer.listen = listen;
    peer.tracker_url = tracker;
    peer.bitrate_bps = std::uint64_t{encode.bitrate_kbps} * 1000;
    (void)p2pls::cli::apply_decade_flags(decade_flags, peer);  // checked above
    p2pls::net::PeerNode peer_node(io, peer);
    if (const auto listening = peer_node.start(); !listening) {
        const bool bad_flag = listening.error() == make_error_code(Errc::config_invalid);
        return fail(bad_flag ? snet::kExitConfig : snet::kExitIo,
                    "cannot serve peers on --listen " + listen +
                        (bad_flag ? ": expected a numeric host:port" : ": cannot bind"));
    }
    spdlog::info("serving peers on port {}{}", peer_node.listen_port(),
                 tracker.empty() ? " (no tracker)" : ", announcing to " + tracker);
    if (!port_file.empty()) {
        if (!posix::write_port_file(port_file, peer_node.listen_port())) {
            return fail(snet::kExitConfig, "cannot write --port-file " + port_file);
        }
    }

    snet::SourceNode node(io, config);
    auto on_exit = [&](int code) {
        exit_code = code;
        const auto served = peer_node.report();
        spdlog::info("served peers: upload_media_bytes={} upload_control_bytes={} neighbors={}",
                     served.upload_media_bytes(), served.upload_control_bytes(),
                     served.neighbors());
        peer_node.stop([&io] { io.stop(); });  // Bye to peers, `stopped` to the tracker
    };
    auto publish = [&](wire::Chunk chunk) { peer_node.publish(std::move(chunk)); };
    const auto started = node.start(publish, on_exit, why);
    if (!started) {
        return fail(started.error() == make_error_code(Errc::io_error) ? snet::kExitConfig
                                                                       : snet::kExitMedia,
                    why);
    }
    p2pls::net::StopSignals signals(io, [&](int signal) {
        spdlog::info("signal {}: stopping", signal);
        node.stop(snet::kExitOk);
    });
    // Operators watch the source like every other role: /metrics has what it produced
    // (p2pls_source_*) and what it served (the peer driver's p2pls_peer_*). Loopback only:
    // the figures are for the broadcaster's own monitoring.
    std::unique_ptr<p2pls::http::HttpServer> http_server;
    if (http_port >= 0) {
        try {
            http_server = p2pls::http::start_status_server(
                io, static_cast<std::uint16_t>(http_port),
                {.stats = [&peer_node] { return peer_node.stats_json(); },
                 .metrics =
                     [&node, &peer_node] {
                         return render_source_metrics(node.stats(), node.chunker_stats()) +
                                peer_node.metrics_text();
                     }});
            spdlog::info("metrics on http://127.0.0.1:{}/metrics",
                         http_server->local_endpoint().port());
        } catch (const std::exception& e) {
            return fail(snet::kExitIo, std::string("cannot serve --http: ") + e.what());
        }
    }
    io.run();
    return exit_code;
}
