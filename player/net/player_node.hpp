// The running player: asks the tracker about the channel (player/core/join.hpp), then
// runs an embedded peer (a PeerNode, behind player/net/embedded_peer.hpp) whose played chunks go to
// the GStreamer pipeline (player/gst) and to the local HTTP output (player/http); shows the status
// line and writes the QoE report.
//
// Startup delay is measured from start() to the first frame the decoder produced (the
// pipeline's probe), and replaces the peer's "first chunk played" figure in the report.
//
// Threads: everything on the io_context's thread; GStreamer hands over with asio::post.
// Lifecycle: start() once; stop(code) once (SIGINT/SIGTERM, --duration, a fatal error)
// leaves the swarm, flushes the final report and then calls on_exit(code).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/core/errc.hpp"
#include "p2pls/peer.pb.h"
#include "player/core/fanout.hpp"
#include "player/core/options.hpp"
#include "player/core/status.hpp"
#include "player/net/embedded_peer.hpp"

namespace p2pls::tracker {
class TrackerClient;
}

namespace p2pls::player::gst {
class PlaybackPipeline;
}
namespace p2pls::player::http {
class TsServer;
}

namespace p2pls::player::net {

struct PlayerNodeConfig {
    PlayerOptions options;
    bool has_display = false;    // DISPLAY / WAYLAND_DISPLAY set (for --sink auto)
    bool status_is_tty = false;  // refresh the status line in place
    FILE* status_out = stdout;   // the status line
    FILE* message_out = stderr;  // one-line messages
    std::chrono::milliseconds status_interval{1000};  // plain lines: every 5 intervals
    // Applied to the embedded peer's configuration after the player's own settings: the
    // DECADE part in --mode decade (p2pls-player fills it from peer/cli/decade_flags.hpp's
    // flags). Empty: nothing more. options.mode decade without it still runs the peer in
    // DECADE mode, with the tracker's nearest server and a registered locker.
    std::function<void(p2pls::net::PeerNodeConfig&)> configure_peer{};
    // Makes the embedded peer from the configuration built above. Empty: the real
    // PeerNode (make_peer_node); tests inject a stand-in.
    PeerFactory make_peer{};
};

class PlayerNode {
  public:
    PlayerNode(boost::asio::io_context& io, PlayerNodeConfig config);
    ~PlayerNode();
    PlayerNode(const PlayerNode&) = delete;
    PlayerNode& operator=(const PlayerNode&) = delete;

    // Builds the pipeline, opens the report and the HTTP output, and starts joining. On
    // failure returns the exit code to use with `why` set; on_exit is not called then.
    std::optional<int> start(std::function<void(int)> on_exit, std::string& why);

    // Leaves and flushes; then on_exit(exit_code). Idempotent.
    void stop(int exit_code);

    [[nodiscard]] StatusSnapshot snapshot() const;

  private:
    boost::asio::awaitable<void> join();
    boost::asio::awaitable<void> refresh_live_edge();
    void start_peer();
    void on_play(const wire::Chunk& chunk, TimePoint now);
    void on_first_frame();
    void show_status();
    void message(const std::string& line);
    void write_report_line(const std::string& json);
    void finish();
    [[nodiscard]] std::string stats_json() const;
    [[nodiscard]] std::string metrics_text() const;

    boost::asio::io_context& io_;
    PlayerNodeConfig config_;
    SinkSpec sink_;
    TimePoint started_at_{};
    std::function<void(int)> on_exit_;

    std::unique_ptr<gst::PlaybackPipeline> pipeline_;
    std::unique_ptr<http::TsServer> server_;
    std::unique_ptr<tracker::TrackerClient> tracker_;
    std::unique_ptr<EmbeddedPeer> peer_;
    std::unique_ptr<FILE, int (*)(FILE*)> report_{nullptr, fclose};

    boost::asio::steady_timer status_timer_;
    boost::asio::steady_timer duration_timer_;
    boost::asio::steady_timer retry_timer_;

    std::optional<TimePoint> first_frame_at_;
    std::optional<std::uint64_t> last_played_seq_;
    std::uint64_t chunks_played_ = 0;
    Duration chunk_duration_ = from_millis(1000);
    StallWatch stall_{from_millis(2000)};
    LiveEdge live_edge_{from_millis(1000)};
    RateMeter download_;
    RateMeter upload_;
    std::uint64_t status_ticks_ = 0;
    bool status_line_open_ = false;
    bool stall_reported_ = false;
    bool stopping_ = false;
    bool finished_ = false;
    int exit_code_ = 0;
    std::shared_ptr<bool> alive_;
};

}  // namespace p2pls::player::net
