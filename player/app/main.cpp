// p2pls-player: what a viewer launches to watch a channel. Parses and checks the flags;
// the work is in player/net/player_node (embedded peer, GStreamer playback, HTTP output,
// status line, QoE report).
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>

#include "common/cli/parse_flags.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "peer/cli/channel_key_flag.hpp"
#include "peer/cli/decade_flags.hpp"
#include "player/core/join.hpp"
#include "player/core/options.hpp"
#include "player/net/player_node.hpp"

namespace {

using namespace p2pls;
using namespace p2pls::player;

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "p2pls-player: error: %s\n", message.c_str());
    return code;
}

bool env_set(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0';
}

}  // namespace

int main(int argc, char** argv) {
    p2pls::net::route_protobuf_log_to_debug();
    CLI::App app{
        "p2pls-player: watch a p2pls channel. Joins the channel's swarm with an embedded\n"
        "peer, plays the verified chunks with GStreamer (a window when a display exists,\n"
        "headless otherwise), optionally re-serves them as one MPEG-TS stream over HTTP for\n"
        "VLC/mpv/ffplay, shows a live status line and writes a QoE report.\n"
        "Exit codes: 0 clean stop, 1 bad flag syntax, 2 bad flag value,\n"
        "3 unknown channel, 4 tracker unreachable for --join-timeout, 5 media error\n"
        "(missing GStreamer plugin, pipeline error), 6 cannot listen / write the report."};
    app.get_formatter()->column_width(34);

    PlayerOptions o;
    std::string mode = "native";
    std::string sink = "auto";
    int http_out = -1;
    std::string join_timeout = "15";
    std::string duration = "0";
    std::string upload_limit = "0";
    std::string log_level = "warn";

    app.add_option("--tracker", o.tracker_url, "Tracker base URL")->capture_default_str();
    app.add_option("--channel", o.channel, "Channel to watch")->capture_default_str();
    app.add_option("--mode", mode,
                   "native (fetch from peers) or decade (fetch from in-network storage through "
                   "a DECADE server; the embedded peer uploads no media; see --decade-server)")
        ->capture_default_str();
    p2pls::cli::DecadeFlags decade_flags;  // the same DECADE flags as p2pls-peer's
    p2pls::cli::add_decade_flags(app, decade_flags, /*with_mode=*/false);
    std::string channel_key;  // the same --channel-key as p2pls-peer's
    p2pls::cli::add_channel_key_flag(app, channel_key);
    app.add_option("--sink", sink,
                   "Where video goes: auto (a window with a display, else fake), window, fake "
                   "(headless: decode and count frames), file:PATH (headless, and record the "
                   "received MPEG-TS to PATH)")
        ->capture_default_str();
    app.add_option("--http-out", http_out,
                   "Serve the web player at http://ADDR:PORT/ (HLS at /live.m3u8, MPEG-TS at "
                   "/stream.ts, /stats, /metrics); 0 = any free port (printed)");
    app.add_option("--http-bind", o.http_bind, "Address for --http-out")->capture_default_str();
    o.web_root = P2PLS_WEB_ROOT;  // this source tree's web/ (set by the build)
    app.add_option("--web-root", o.web_root,
                   "Folder with the web player's files (player/ and node_modules/hls.js, "
                   "which scripts/setup.sh installs)")
        ->capture_default_str();
    app.add_option("--report", o.report_path,
                   "Write the QoE report to FILE as JSON lines (one a second, then a final one)");
    app.add_option("--join-timeout", join_timeout,
                   "Seconds to keep retrying an unreachable tracker before giving up")
        ->capture_default_str();
    app.add_option("--duration", duration, "Stop after this many seconds (0 = until stopped)")
        ->capture_default_str();
    app.add_option("--listen", o.listen,
                   "host:port of the embedded peer's listener (port 0: any free port)")
        ->capture_default_str();
    app.add_option("--upload-limit", upload_limit,
                   "Cap on media upload to other peers, bytes/s: 0 (none), 250000, 500k, 2M, "
                   "4Mbit")
        ->capture_default_str();

    app.add_option("--log-level", log_level,
                   "Embedded peer's log: trace, debug, info, warn, error (on stderr)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();

    if (const auto done = p2pls::cli::parse_flags(app, argc, argv, "p2pls-player")) {
        return *done;
    }

    // The peer's log goes to stderr, so that stdout carries only the status line.
    spdlog::set_default_logger(spdlog::stderr_color_mt("p2pls-player"));
    spdlog::set_level(spdlog::level::from_str(log_level));

    std::string why;
    const auto parsed_mode = parse_mode(mode, why);
    if (!parsed_mode) {
        return fail(kExitConfig, why);
    }
    o.mode = *parsed_mode;
    o.ca_file = decade_flags.ca_file;
    decade_flags.mode = mode;
    if (p2pls::net::PeerNodeConfig probe;
        auto problem = p2pls::cli::apply_decade_flags(decade_flags, probe)) {
        return fail(kExitConfig, *problem);
    }
    if (p2pls::net::PeerNodeConfig probe;
        auto problem = p2pls::cli::apply_channel_key_flag(channel_key, probe)) {
        return fail(kExitConfig, *problem);
    }
    const auto parsed_sink = parse_sink(sink, why);
    if (!parsed_sink) {
        return fail(kExitConfig, why);
    }
    o.sink = *parsed_sink;
    if (http_out > 65535 || http_out < -1) {
        return fail(kExitConfig, "--http-out must be a port 0-65535");
    }
    if (http_out >= 0) {
        o.http_out_port = static_cast<std::uint16_t>(http_out);
    }
    const auto jt = parse_seconds(join_timeout, 0.1, why);
    if (!jt) {
        return fail(kExitConfig, "--join-timeout: " + why);
    }
    o.join_timeout = *jt;
    const auto d = parse_seconds(duration, 0, why);
    if (!d) {
        return fail(kExitConfig, "--duration: " + why);
    }
    o.duration = *d;
    const auto rate = parse_rate_bytes_per_s(upload_limit, why);
    if (!rate) {
        return fail(kExitConfig, why);
    }
    o.upload_limit_bytes_per_s = *rate;
    if (const auto bad = validate(o)) {
        return fail(kExitConfig, *bad);
    }

    boost::asio::io_context io;
    player::net::PlayerNodeConfig config{
        .options = o,
        .has_display = env_set("DISPLAY") || env_set("WAYLAND_DISPLAY"),
        .status_is_tty = isatty(STDOUT_FILENO) != 0,
    };
    config.configure_peer = [decade_flags, channel_key](p2pls::net::PeerNodeConfig& peer) {
        (void)p2pls::cli::apply_decade_flags(decade_flags, peer);     // checked above
        (void)p2pls::cli::apply_channel_key_flag(channel_key, peer);  // checked above
    };
    player::net::PlayerNode node(io, config);
    int exit_code = kExitOk;
    bool exited = false;
    const auto started = node.start(
        [&](int code) {
            exit_code = code;
            exited = true;
            io.stop();
        },
        why);
    if (started) {
        return fail(*started, why);
    }
    p2pls::net::StopSignals signals(io, [&](int) { node.stop(kExitOk); });
    io.run();
    return exited ? exit_code : kExitOk;
}
