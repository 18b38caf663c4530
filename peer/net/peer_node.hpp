// The networked peer: drives one PeerEngine (peer/core/peer_engine.hpp) over real TCP
// with Boost.Asio. Used by both executables: `p2pls-peer` (a viewer/relay peer) and
// `p2pls-source` (origin mode: the channel's source publishes chunks through it).
//
// Shape (STYLE.md, "Async code"): one thread runs the io_context; per neighbour one reader
// and one writer coroutine over common/net/framed_socket.hpp; one steady_timer re-armed
// from PeerEngine::next_timer(); an acceptor for incoming neighbours; the tracker client
// (tracker/curl) announces started / heartbeat / stopped. Every method must be called on
// the io_context's thread (post to it from other threads, e.g. a GStreamer callback).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/chunk_signature.hpp"
#include "common/core/errc.hpp"
#include "common/core/link_delay.hpp"
#include "p2pls/peer.pb.h"
#include "p2pls/report.pb.h"
#include "p2pls/tracker.pb.h"
#include "peer/core/engine_config.hpp"

namespace boost::asio {
class io_context;
}

namespace p2pls::net {

struct PeerNodeConfig {
    // Engine tuning and identity (channel, peer id, origin mode, upload limit, window, ...).
    // Empty peer_id: a random one is drawn. For a peer, public_key / chunk_duration are
    // taken from the tracker's reply when `key_from_tracker` is true.
    peer::EngineConfig engine;
    bool key_from_tracker = true;
    // A viewer's pinned channel key (--channel-key): a tracker that reports another key is
    // refused and logged, and the peer waits. Without a pin the first verified key is kept
    // for the session (peer/core/channel_trust.hpp); a source restart under that key (a
    // newer signed statement with another epoch) makes the peer drop its neighbours and
    // chunks and rejoin the new run.
    std::optional<PublicKey> pinned_key;
    // Origin mode: signs every announce before it is sent (source/net/announce_signer.hpp).
    std::function<void(tracker_api::AnnounceRequest&)> sign_announce;

    // "host:port" to accept neighbours on; port 0 picks a free port (see listen_port()).
    std::string listen = "127.0.0.1:0";
    // Tracker base URL, e.g. "http://127.0.0.1:8000"; empty: no tracker (use bootstrap).
    std::string tracker_url;
    // CA certificates (PEM) that an https:// tracker and DECADE servers must chain to;
    // empty: the system's.
    std::string ca_file;
    // Extra neighbours to try, "host:port" each (tests, or a deployment without tracker).
    std::vector<std::string> bootstrap;

    // DECADE mode (engine.decade.enabled): the home server is engine.decade.server,
    // or the tracker's nearest DECADE server when empty; the locker is engine.decade.locker
    // and .secret, or one registered on the home server at start (POST /v1/lockers, with
    // `decade_operator_key` as Bearer unless the server is dev-open).
    std::string decade_operator_key;
    // Source address of DECADE connections ("127.0.0.5"), so that on one machine each peer
    // is its own client to the servers' per-client slot cap. Empty: the system's choice.
    std::string decade_local_address;
    // A DECADE peer that cannot get storage (no locker after a few tries, or no server
    // named) plays natively and says why in its report (`decade_unavailable`); with
    // require_decade it does nothing more instead. Either way on_decade_unavailable runs
    // once with the reason (an executable with require_decade exits on it).
    bool require_decade = false;
    std::function<void(const std::string& why)> on_decade_unavailable;

    // User-space link emulation (this kernel has no netem): every message to a neighbour is
    // held until enqueue time + the delay towards the neighbour's address before it is
    // written, in order; every DECADE call waits it on the way out and on the way back
    // (curl::ClientOptions::link_delays). Every node delays what it sends, so each link's
    // one-way delay is what its sender holds back. Empty: no delay.
    LinkDelays link_delays;

    // A neighbour with more than this queued for it (it stopped reading) is closed.
    std::size_t max_queued_bytes = 8 * 1024 * 1024;

    // Origin mode only: channel facts the source announces to the tracker.
    std::uint64_t bitrate_bps = 500'000;

    // Called once a second with the current QoE report (for --report), and once more with
    // final = true when the node stops.
    std::function<void(const report::QoeReport&)> on_report;
    // With engine.trace: called once a second (and at stop) with each chunk trace
    // (peer/core/chunk_trace.hpp) since the last call.
    std::function<void(const report::ChunkTrace&)> on_trace;
    // Called for every chunk the playback clock plays (a player hooks its decoder here).
    std::function<void(const wire::Chunk&)> on_play;
};

class PeerNode {
  public:
    PeerNode(boost::asio::io_context& io, PeerNodeConfig config);
    ~PeerNode();
    PeerNode(const PeerNode&) = delete;
    PeerNode& operator=(const PeerNode&) = delete;

    // Binds the listener and starts joining (tracker announce, bootstrap connects).
    // Fails with io_error when the listen endpoint cannot be bound.
    Result<void> start();

    // The bound TCP port (valid after start()).
    [[nodiscard]] std::uint16_t listen_port() const;

    // Origin mode: publishes one signed chunk (the source's chunker made and signed it).
    void publish(wire::Chunk chunk);

    // Clean leave: Bye to every neighbour, tracker "stopped", final report; `done` runs
    // when all of that has finished (or timed out after ~2 s).
    void stop(std::function<void()> done = {});

    // QoE report now (same content as the --report lines).
    [[nodiscard]] report::QoeReport report() const;
    // Where playback stands, for a player's status line:
    // the next chunk to play, the media held contiguously from it, the live-edge estimate.
    struct PlaybackView {
        bool started = false;                    // playback has begun
        std::optional<std::uint64_t> playhead;   // next seq to play (once joined)
        double buffer_s = 0;                     // contiguous media held from the playhead
        std::optional<std::uint64_t> live_edge;  // newest seq the engine knows of
    };
    [[nodiscard]] PlaybackView playback_view() const;
    // GET /stats body: the report plus neighbour details, as one JSON object.
    [[nodiscard]] std::string stats_json() const;
    // GET /metrics body (Prometheus text format).
    [[nodiscard]] std::string metrics_text() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace p2pls::net
