// p2pls-peer: a headless peer (DESIGN.md §4). Joins a channel through the tracker,
// exchanges chunks with neighbours, plays them on the playback clock (discarding the
// media) and reports QoE as JSON lines.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/cli/link_delay_flags.hpp"
#include "common/cli/parse_flags.hpp"
#include "common/core/byte_rate.hpp"
#include "common/core/proto_json.hpp"
#include "common/http/status_server.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"
#include "peer/cli/channel_key_flag.hpp"
#include "peer/cli/decade_flags.hpp"
#include "peer/net/peer_node.hpp"

namespace {

namespace asio = boost::asio;
using namespace p2pls;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "p2pls-peer: %s\n", message.c_str());
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    p2pls::net::route_protobuf_log_to_debug();
    CLI::App app{"p2pls-peer: a headless P2P live-streaming peer (relay / test node)"};
    std::string tracker = "http://127.0.0.1:8200";
    std::string channel = "live";
    std::string listen = "127.0.0.1:0";
    std::string report_path;
    std::string port_file;
    std::string peer_id;
    std::string log_level = "info";
    std::vector<std::string> bootstrap;
    std::string upload_limit = "0";
    double duration_s = 0;
    int http_port = -1;
    std::uint32_t neighbors = 8;
    cli::LinkDelayFlags link_delay;
    app.add_option("--tracker", tracker, "Tracker base URL (empty: no tracker, use --bootstrap)")
        ->capture_default_str();
    app.add_option("--channel", channel, "Channel to join")->capture_default_str();
    app.add_option("--listen", listen, "host:port to accept neighbours on (port 0: any free port)")
        ->capture_default_str();
    app.add_option("--upload-limit", upload_limit,
                   "Media upload cap, " + std::string(kByteRateHelp) +
                       "; 0 = unlimited; beyond it requests get Busy")
        ->capture_default_str();
    app.add_option("--report", report_path,
                   "Write the QoE report here as JSON lines: one per second plus a final one "
                   "(fields: docs/metrics.md)");
    std::string trace_path;
    app.add_option("--trace", trace_path,
                   "Write chunk traces here as JSON lines: every chunk startup waited for, "
                   "played late or missed, with each step it took (docs/testbed.md)");
    app.add_option("--http", http_port, "Serve GET /stats (JSON) and /metrics on 127.0.0.1:PORT")
        ->check(CLI::Range(0, 65535));
    app.add_option("--duration", duration_s, "Leave after this many seconds (0: run until SIGTERM)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--port-file", port_file, "Write the bound listen port to this file");
    app.add_option("--peer-id", peer_id, "Peer id (default: random)");
    app.add_option("--neighbors", neighbors, "Neighbours to keep (M)")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--bootstrap", bootstrap, "Neighbour host:port to try (repeatable)");
    app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
    cli::add_link_delay_flags(app, link_delay);
    cli::DecadeFlags decade_flags;
    cli::add_decade_flags(app, decade_flags);
    std::string channel_key;
    cli::add_channel_key_flag(app, channel_key);
    if (const auto done = cli::parse_flags(app, argc, argv, "p2pls-peer")) {
        return *done;
    }

    spdlog::set_level(spdlog::level::from_str(log_level));
    if (tracker.empty() && bootstrap.empty()) {
        fail("need --tracker or at least one --bootstrap");
    }

    asio::io_context io;
    std::unique_ptr<std::ofstream> report_file;
    std::unique_ptr<std::ofstream> trace_file;
    if (!trace_path.empty()) {
        trace_file = std::make_unique<std::ofstream>(trace_path, std::ios::trunc);
        if (!*trace_file) {
            fail("cannot write --trace " + trace_path);
        }
    }
    if (!report_path.empty()) {
        report_file = std::make_unique<std::ofstream>(report_path, std::ios::trunc);
        if (!*report_file) {
            fail("cannot write --report " + report_path);
        }
    }

    const auto upload_bytes_per_s = parse_byte_rate(upload_limit);
    if (!upload_bytes_per_s) {
        fail("--upload-limit: not a rate in " + std::string(kByteRateHelp) + ": " + upload_limit);
    }
    net::PeerNodeConfig config;
    config.engine.channel = channel;
    config.engine.peer_id = PeerId{peer_id};
    config.engine.upload_limit_bytes_per_s = *upload_bytes_per_s;
    config.engine.target_neighbors = neighbors;
    config.engine.max_neighbors = 2 * neighbors;
    config.listen = listen;
    config.link_delays = link_delay.delays();
    config.tracker_url = tracker;
    config.bootstrap = bootstrap;
    config.key_from_tracker = true;
    if (auto problem = cli::apply_decade_flags(decade_flags, config)) {
        fail(*problem);
    }
    if (auto problem = cli::apply_channel_key_flag(channel_key, config)) {
        fail(*problem);
    }
    if (trace_file) {
        config.engine.trace = true;
        config.on_trace = [&trace_file](const report::ChunkTrace& t) {
            *trace_file << to_json(t) << '\n';
        };
    }
    if (report_file) {
        config.on_report = [&report_file](const report::QoeReport& r) {
            *report_file << to_json(r) << '\n';
            report_file->flush();
        };
    }
    if (tracker.empty()) {
        fail("--bootstrap without --tracker needs the channel key: not supported by p2pls-peer");
    }
    // --require-decade: no storage, no play; the exit code says so.
    int exit_code = 0;
    std::function<void()> leave_now;
    if (config.require_decade) {
        config.on_decade_unavailable = [&](const std::string&) {
            exit_code = 1;
            asio::post(io, [&] { leave_now(); });
        };
    }

    net::PeerNode node(io, config);
    if (!node.start()) {
        return 1;
    }
    if (!port_file.empty()) {
        if (!posix::write_port_file(port_file, node.listen_port())) {
            fail("cannot write --port-file " + port_file);
        }
    }

    std::unique_ptr<http::HttpServer> http_server;
    if (http_port >= 0) {
        try {
            http_server =
                http::start_status_server(io, static_cast<std::uint16_t>(http_port),
                                          {.stats = [&node] { return node.stats_json(); },
                                           .metrics = [&node] { return node.metrics_text(); }});
            spdlog::info("stats on http://{}:{}/stats",
                         http_server->local_endpoint().address().to_string(),
                         http_server->local_endpoint().port());
        } catch (const std::exception& e) {
            fail(std::string("cannot serve --http: ") + e.what());
        }
    }

    bool stopping = false;
    auto leave = [&] {
        if (stopping) {
            return;
        }
        stopping = true;
        node.stop([&] {
            if (http_server) {
                http_server->stop();
            }
            io.stop();
        });
    };
    leave_now = leave;
    net::StopSignals signals(io, [&](int) { leave(); });
    asio::steady_timer duration_timer(io);
    if (duration_s > 0) {
        duration_timer.expires_after(
            std::chrono::milliseconds(static_cast<long>(duration_s * 1000)));
        duration_timer.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
                leave();
            }
        });
    }
    io.run();
    return exit_code;
}
