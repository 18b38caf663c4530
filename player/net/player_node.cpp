#include "player/net/player_node.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/core/proto_json.hpp"
#include "peer/core/peer_metrics.hpp"
#include "peer/net/peer_node.hpp"
#include "player/core/join.hpp"
#include "player/core/player_metrics.hpp"
#include "player/gst/playback_pipeline.hpp"
#include "player/http/ts_server.hpp"
#include "player/http/web_files.hpp"
#include "tracker/curl/tracker_client.hpp"

namespace p2pls::player::net {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

TimePoint now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::string json_number(std::optional<double> v) {
    if (!v) {
        return "null";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", *v);
    return buf;
}

// A JSON string literal: quotes, backslashes and control bytes escaped.
std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + '"';
}

}  // namespace

PlayerNode::PlayerNode(asio::io_context& io, PlayerNodeConfig config)
    : io_(io),
      config_(std::move(config)),
      status_timer_(io),
      duration_timer_(io),
      retry_timer_(io),
      alive_(std::make_shared<bool>(true)) {}

PlayerNode::~PlayerNode() {
    *alive_ = false;
}

std::optional<int> PlayerNode::start(std::function<void(int)> on_exit, std::string& why) {
    const auto& o = config_.options;
    on_exit_ = std::move(on_exit);
    started_at_ = now();

    if (const auto bad = check_sink(o.sink, config_.has_display)) {
        why = *bad;
        return kExitConfig;
    }
    sink_ = resolve_sink(o.sink, config_.has_display);
    if (o.sink.kind == SinkKind::automatic && sink_.kind == SinkKind::fake) {
        message(
            "no display (DISPLAY / WAYLAND_DISPLAY unset): playing headless, frames are "
            "decoded and counted but not shown (--sink fake)");
    }
    auto pipeline = gst::PlaybackPipeline::create(io_, sink_, {}, why);
    if (!pipeline) {
        return kExitMedia;
    }
    pipeline_ = std::move(*pipeline);

    if (!o.report_path.empty()) {
        report_.reset(std::fopen(o.report_path.c_str(), "w"));
        if (!report_) {
            why = "cannot write the report file " + o.report_path;
            return kExitIo;
        }
    }
    if (o.http_out_port) {
        try {
            http::TsServerOptions so;
            so.bind = o.http_bind;
            so.port = *o.http_out_port;
            so.hls.nominal_duration_us = static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(chunk_duration_).count());
            auto web = http::load_web_files(o.web_root);
            if (!web.missing.empty()) {
                message("no web page at /: " + web.missing);
            }
            server_ = std::make_unique<http::TsServer>(
                io_, so,
                http::TsServer::Handlers{.stats = [this] { return stats_json(); },
                                         .metrics = [this] { return metrics_text(); }},
                std::move(web));
        } catch (const std::exception& e) {
            why = "cannot serve --http-out on " + o.http_bind + ":" +
                  std::to_string(*o.http_out_port) + ": " + e.what();
            return kExitIo;
        }
        server_->start();
        const auto ep = server_->local_endpoint();
        const std::string base =
            "http://" + ep.address().to_string() + ":" + std::to_string(ep.port());
        message("watch in a browser: " + base + "/ (HLS: " + base +
                "/live.m3u8; MPEG-TS for VLC, " + "mpv or ffplay: " + base +
                "/stream.ts; metrics: " + base + "/metrics)");
    }

    const auto started = pipeline_->start({.on_first_frame = [this] { on_first_frame(); },
                                           .on_error =
                                               [this](std::string e) {
                                                   message(e);
                                                   stop(kExitMedia);
                                               },
                                           .on_warning = {}},
                                          why);
    if (!started) {
        return kExitMedia;
    }

    tracker::TrackerClientOptions to;
    to.ca_file = o.ca_file;
    to.request_timeout =
        std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(o.join_timeout / 2),
                   std::chrono::milliseconds(200), std::chrono::milliseconds(3000));
    tracker_ = std::make_unique<tracker::TrackerClient>(io_, o.tracker_url, o.channel, to);
    message("joining channel '" + o.channel + "' at " + o.tracker_url);
    asio::co_spawn(io_, join(), asio::detached);

    if (o.duration.count() > 0) {
        duration_timer_.expires_after(o.duration);
        duration_timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
            if (!ec && *alive) {
                stop(kExitOk);
            }
        });
    }
    show_status();
    return std::nullopt;
}

asio::awaitable<void> PlayerNode::join() {
    const auto alive = alive_;
    const auto& o = config_.options;
    JoinAttempts attempts(o.channel, o.tracker_url,
                          std::chrono::duration_cast<Duration>(o.join_timeout), started_at_);
    while (true) {
        auto info = co_await tracker_->channel_info();
        if (!*alive || stopping_) {
            co_return;
        }
        if (info) {
            const auto d = attempts.on_success();
            if (info->chunk_ms() > 0) {
                chunk_duration_ = from_millis(info->chunk_ms());
                stall_ = StallWatch(2 * chunk_duration_ + from_millis(500));
                live_edge_ = LiveEdge(chunk_duration_);
            }
            live_edge_.anchor(info->live_edge(), now());
            message(d.message + " (" + std::to_string(info->members()) + " members, live edge " +
                    std::to_string(info->live_edge()) + ")");
            start_peer();
            co_return;
        }
        const auto& err = info.error();
        const auto d =
            attempts.on_failure(static_cast<int>(err.status), err.error, err.detail, now());
        message(d.message);
        switch (d.step) {
            case JoinStep::unknown_channel:
                stop(kExitUnknownChannel);
                co_return;
            case JoinStep::rejected:
                stop(kExitConfig);
                co_return;
            case JoinStep::give_up:
                stop(kExitTrackerUnreachable);
                co_return;
            case JoinStep::joined:
            case JoinStep::retry:
                break;
        }
        retry_timer_.expires_after(d.retry_in);
        co_await retry_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!*alive || stopping_) {
            co_return;
        }
    }
}

void PlayerNode::start_peer() {
    const auto& o = config_.options;
    p2pls::net::PeerNodeConfig pc;
    pc.engine.channel = o.channel;
    pc.engine.chunk_duration = chunk_duration_;
    pc.engine.upload_limit_bytes_per_s = o.upload_limit_bytes_per_s;
    pc.listen = o.listen;
    pc.tracker_url = o.tracker_url;
    // DECADE mode: media comes through the home server's locker; the peer uploads none.
    pc.engine.decade.enabled = o.mode == PlayerMode::decade;
    if (config_.configure_peer) {
        config_.configure_peer(pc);
    }
    pc.on_decade_unavailable = [this, alive = alive_,
                                required = pc.require_decade](const std::string& why) {
        if (!*alive) {
            return;
        }
        if (required) {
            message("no DECADE storage: " + why + "; exiting (--require-decade)");
            stop(kExitNoDecade);
        } else {
            message("no DECADE storage: " + why +
                    "; playing natively (this viewer uploads media; --require-decade exits "
                    "instead)");
        }
    };
    pc.on_play = [this, alive = alive_](const wire::Chunk& chunk) {
        if (*alive) {
            on_play(chunk, now());
        }
    };
    pc.on_report = [this, alive = alive_](const report::QoeReport& r) {
        if (!*alive || !report_) {
            return;
        }
        report::QoeReport copy = r;
        copy.set_mode(std::string(to_string(config_.options.mode)));
        copy.set_startup_delay_s(first_frame_at_ ? to_seconds(*first_frame_at_ - started_at_)
                                                 : -1.0);
        write_report_line(to_json(copy));
    };
    peer_ = config_.make_peer ? config_.make_peer(io_, std::move(pc))
                              : make_peer_node(io_, std::move(pc));
    if (const auto r = peer_->start(); !r) {
        message("cannot start the peer on " + o.listen + ": " + r.error().message());
        peer_.reset();
        stop(kExitIo);
        return;
    }
    asio::co_spawn(io_, refresh_live_edge(), asio::detached);
}

asio::awaitable<void> PlayerNode::refresh_live_edge() {
    // The tracker's live edge re-anchors the lag estimate now and then.
    const auto alive = alive_;
    asio::steady_timer timer(io_);
    while (*alive && !stopping_) {
        timer.expires_after(10s);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!*alive || stopping_) {
            co_return;
        }
        auto info = co_await tracker_->channel_info();
        if (!*alive || stopping_) {
            co_return;
        }
        if (info) {
            live_edge_.anchor(info->live_edge(), now());
        }
    }
}

void PlayerNode::on_play(const wire::Chunk& chunk, TimePoint t) {
    if (stopping_) {
        return;
    }
    const std::uint64_t seq = chunk.seq();
    auto payload = std::make_shared<const std::string>(chunk.payload());
    ++chunks_played_;
    const bool was_stalled = stall_.stalled_for(t).has_value();
    stall_.on_chunk(t);
    last_played_seq_ = seq;
    if (was_stalled || stall_reported_) {
        stall_reported_ = false;
        message("chunks are flowing again at seq " + std::to_string(seq));
    }
    pipeline_->push(payload);
    if (server_) {
        server_->on_chunk(seq, chunk.timestamp_us(), chunk.duration_us(), std::move(payload));
    }
}

void PlayerNode::on_first_frame() {
    if (first_frame_at_) {
        return;
    }
    first_frame_at_ = now();
    char buf[96];
    std::snprintf(buf, sizeof buf, "first frame decoded: startup delay %.3f s",
                  to_seconds(*first_frame_at_ - started_at_));
    message(buf);
}

StatusSnapshot PlayerNode::snapshot() const {
    StatusSnapshot s;
    const auto t = now();
    if (peer_) {
        apply_report(peer_->report(), config_.options.mode == PlayerMode::decade, s);
    }
    s.elapsed_s = to_seconds(t - started_at_);
    if (first_frame_at_) {
        s.startup_delay_s = to_seconds(*first_frame_at_ - started_at_);
    }
    if (peer_) {
        // The engine's own view is the better one; the tracker-anchored estimate is the
        // fallback before the engine knows a live edge.
        const auto view = peer_->playback_view();
        if (view.playhead) {
            s.buffer_s = view.buffer_s;
        }
        if (view.playhead && view.live_edge && last_played_seq_) {
            s.lag_s = static_cast<double>(*view.live_edge >= *last_played_seq_
                                              ? *view.live_edge - *last_played_seq_
                                              : 0) *
                      to_seconds(chunk_duration_);
        }
    }
    if (last_played_seq_ && !s.lag_s) {
        s.lag_s = live_edge_.lag_s(*last_played_seq_, t);
    }
    if (const auto stalled = stall_.stalled_for(t)) {
        s.stalled_for_s = to_seconds(*stalled);
    }
    s.download_bytes_per_s = download_.bytes_per_s();
    s.upload_bytes_per_s = upload_.bytes_per_s();
    s.frames_decoded = pipeline_ ? pipeline_->frames_decoded() : 0;
    if (server_) {
        s.http_clients = server_->streaming_clients();
    }
    return s;
}

void PlayerNode::show_status() {
    if (stopping_) {
        return;
    }
    const auto t = now();
    if (peer_) {
        const auto r = peer_->report();
        download_.sample(r.download_media_bytes() + r.download_control_bytes(), t);
        upload_.sample(r.upload_media_bytes(), t);
    }
    const auto snap = snapshot();
    if (snap.stalled_for_s && !stall_reported_) {
        stall_reported_ = true;
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "stalled: no chunk for %.1f s; waiting for the stream to return (is the "
                      "source still running?)",
                      *snap.stalled_for_s);
        message(buf);
    }
    const auto line = format_status(snap);
    if (config_.status_is_tty) {
        std::fprintf(config_.status_out, "\r%s\x1b[K", line.c_str());
        status_line_open_ = true;
    } else if (status_ticks_ % 5 == 0) {
        std::fprintf(config_.status_out, "%s\n", line.c_str());
    }
    std::fflush(config_.status_out);
    ++status_ticks_;
    status_timer_.expires_after(config_.status_interval);
    status_timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
        if (!ec && *alive) {
            show_status();
        }
    });
}

void PlayerNode::message(const std::string& line) {
    if (status_line_open_) {
        std::fprintf(config_.status_out, "\r\x1b[K");
        std::fflush(config_.status_out);
        status_line_open_ = false;
    }
    std::fprintf(config_.message_out, "p2pls-player: %s\n", line.c_str());
    std::fflush(config_.message_out);
}

void PlayerNode::write_report_line(const std::string& json) {
    if (report_) {
        std::fprintf(report_.get(), "%s\n", json.c_str());
        std::fflush(report_.get());
    }
}

std::string PlayerNode::stats_json() const {
    const auto s = snapshot();
    std::string out = "{\"player\":{";
    out += "\"elapsed_s\":" + json_number(s.elapsed_s);
    out += ",\"startup_delay_s\":" + json_number(s.startup_delay_s);
    out += ",\"lag_s\":" + json_number(s.lag_s);
    out += ",\"buffer_s\":" + json_number(s.buffer_s);
    out += ",\"stalled_for_s\":" + json_number(s.stalled_for_s);
    out += ",\"frames_decoded\":" + std::to_string(s.frames_decoded);
    out += ",\"chunks_played\":" + std::to_string(chunks_played_);
    out += ",\"http_clients\":" + std::to_string(s.http_clients.value_or(0));
    out += ",\"decade_share\":" + json_number(s.decade_share);
    out += ",\"decade_unavailable\":" +
           (s.decade_unavailable ? json_string(*s.decade_unavailable) : std::string("null"));
    out += ",\"status\":" + json_string(format_status(s)) + "}";
    out += ",\"peer\":" + (peer_ ? peer_->stats_json() : std::string("null")) + "}";
    return out;
}

std::string PlayerNode::metrics_text() const {
    const auto s = snapshot();
    PlayerMetrics m;
    m.startup_delay_s = s.startup_delay_s;
    m.lag_s = s.lag_s;
    m.buffer_s = s.buffer_s;
    m.stalled = s.stalled_for_s.has_value();
    m.frames_decoded = s.frames_decoded;
    m.chunks_played = chunks_played_;
    if (server_) {
        const auto& c = server_->counters();
        m.stream_clients = server_->streaming_clients();
        m.stream_clients_dropped = server_->dropped_clients();
        m.connections_refused = c.refused_connections;
        m.playlist_requests = c.playlist_requests;
        m.segment_requests = c.segment_requests;
        m.segments_not_found = c.segments_not_found;
        m.http_bytes_sent = c.bytes_sent;
        m.hls_segments = server_->hls().segments();
        m.hls_discontinuities = server_->hls().discontinuities_total();
    }
    return render_player_metrics(m) + (peer_ ? peer::render_peer_metrics(peer_->report()) : "");
}

void PlayerNode::stop(int exit_code) {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    exit_code_ = exit_code;
    status_timer_.cancel();
    duration_timer_.cancel();
    retry_timer_.cancel();
    if (status_line_open_) {
        // Leave the last status on screen, and start a fresh line for what follows.
        std::fprintf(config_.status_out, "\n");
        status_line_open_ = false;
    }
    if (first_frame_at_ || exit_code == kExitOk) {
        std::fprintf(config_.status_out, "%s\n", format_status(snapshot()).c_str());
        std::fflush(config_.status_out);
    }
    if (server_) {
        server_->stop();
    }
    if (pipeline_) {
        pipeline_->stop();
    }
    if (peer_) {
        peer_->stop([this, alive = alive_] {
            if (*alive) {
                finish();
            }
        });
        return;
    }
    // Never joined: still leave a final report line, so that a script finds one.
    if (report_) {
        report::QoeReport r;
        r.set_mode(std::string(to_string(config_.options.mode)));
        r.set_elapsed_s(to_seconds(now() - started_at_));
        r.set_final(true);
        r.set_startup_delay_s(-1);
        write_report_line(to_json(r));
    }
    asio::post(io_, [this, alive = alive_] {
        if (*alive) {
            finish();
        }
    });
}

void PlayerNode::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    report_.reset();
    if (tracker_) {
        // The join check holds no loop; dropping the client ends any call in flight.
        tracker_.reset();
    }
    if (on_exit_) {
        on_exit_(exit_code_);
    }
}

}  // namespace p2pls::player::net
