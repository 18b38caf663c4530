// Announces the channel to the tracker as its source (DESIGN.md §3): is_source, bitrate,
// chunk duration, the Ed25519 public key and the live edge, with started / heartbeat /
// stopped. A tracker that is down never stops the source: the tracker client retries with
// backoff while chunks keep coming; failures are logged once per outage, not per retry.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/core/chunk_signature.hpp"
#include "tracker/curl/tracker_client.hpp"

namespace p2pls::source::net {

struct AnnouncerConfig {
    std::string tracker_url;  // e.g. http://127.0.0.1:8200
    std::string channel;
    std::string peer_id;   // the source's id in the swarm
    std::string endpoint;  // host:port where peers reach the source
    std::uint64_t bitrate_bps = 0;
    std::uint32_t chunk_ms = 1000;
    PublicKey public_key{};
};

class ChannelAnnouncer {
  public:
    ChannelAnnouncer(boost::asio::io_context& io, AnnouncerConfig config);

    void start();
    // A new chunk exists: the next announce carries it as the live edge.
    void on_live_edge(std::uint64_t seq);
    // Sends `stopped` (bounded by the client's stop timeout), then runs done.
    void stop(std::function<void()> done);

    [[nodiscard]] std::uint64_t announces_ok() const noexcept { return client_.announces_ok(); }

  private:
    boost::asio::io_context& io_;
    AnnouncerConfig config_;
    tracker::TrackerClient client_;
    bool reachable_ = true;  // for logging outages once
    bool first_ok_ = false;
};

}  // namespace p2pls::source::net
