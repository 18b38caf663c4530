// The tracker client (libcurl) used by the source, the peer and the player: the announce
// loop of DESIGN.md §3 plus one-shot calls for listing channels and registering DECADE
// servers.
//
// Threading: everything runs on the caller's io_context thread (libcurl's own worker
// thread hands results back with asio::post). Callbacks run on that thread too.
//
// The loop: start() announces `started` at once, then `heartbeat` every interval_s the
// tracker returns. When the tracker cannot be reached, times out or answers 5xx, the
// client calls on_error and retries with exponential backoff (initial_backoff doubling to
// max_backoff, ±20 % jitter; a 503's Retry-After, up to max_backoff, is waited out
// first), then resumes the normal interval after the next success. A
// 4xx (bad field, unknown channel, ...) goes to on_error with the ErrorBody's detail; the
// loop then retries at the interval, or ends if `stop_on_client_error`. While the tracker
// is away the caller keeps running with what it has: nothing blocks on the tracker.
//
// Example (a peer):
//   tracker::TrackerClient client(io, "http://127.0.0.1:8200", "news");
//   tracker_api::AnnounceRequest me;
//   me.set_peer_id("peer-7");
//   me.set_endpoint("127.0.0.1:7007");
//   me.set_mode(wire::native);
//   client.start(me, [&](const tracker_api::AnnounceResponse& r) { engine.on_peers(r); },
//                [&](const std::string& what, int status) { log(what, status); });
//   ...
//   co_await client.stop();   // sends `stopped` (bounded by stop_timeout)
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/core/http_error.hpp"
#include "common/core/registration_proof.hpp"
#include "p2pls/tracker.pb.h"

namespace p2pls::tracker {

struct TrackerClientOptions {
    std::chrono::milliseconds request_timeout{3'000};  // one announce, connect included
    std::chrono::milliseconds initial_backoff{500};    // first retry after a failure
    std::chrono::milliseconds max_backoff{30'000};     // cap of the doubling backoff
    std::chrono::milliseconds stop_timeout{1'000};     // bound on the `stopped` announce
    // Interval used until the tracker has told one (and after 4xx answers).
    std::chrono::seconds default_interval{5};
    // End the loop at a 4xx answer instead of retrying at the interval.
    bool stop_on_client_error = false;
    // Source address for the tracker connections ("" = the system's choice).
    std::string local_address{};
    // Runs on every announce of the loop and on the `stopped`, after its event is set and
    // just before it is sent: the source signs it here (tracker/core/source_announce.hpp).
    std::function<void(tracker_api::AnnounceRequest&)> before_announce{};
    // register_decade_server proves this key (HMAC over the body and the wall clock,
    // common/core/registration_proof.hpp); without one the tracker answers 401.
    std::optional<RegistrationKey> registration_key{};
    // CA certificates (PEM) that an https:// tracker must chain to ("" = the system's).
    std::string ca_file{};
};

class TrackerClient {
  public:
    // A successful announce's reply (peers, source, channel parameters, DECADE server).
    using ReplyHandler = std::function<void(const tracker_api::AnnounceResponse&)>;
    // A readable message and the HTTP status (0 for a transport failure or timeout).
    using ErrorHandler = std::function<void(const std::string& message, int http_status)>;

    // `tracker_url` is the tracker's base URL ("http://127.0.0.1:8200"); `channel` is the
    // channel announced to (may be empty for a client that only calls the one-shots).
    TrackerClient(boost::asio::io_context& io, std::string tracker_url, std::string channel,
                  TrackerClientOptions options = {});
    // Ends the loop without sending `stopped` (use stop() for a clean leave).
    ~TrackerClient();

    TrackerClient(const TrackerClient&) = delete;
    TrackerClient& operator=(const TrackerClient&) = delete;

    // Starts the announce loop with `request` (its `event` is set by the client). Calling
    // start() again while the loop runs only replaces the request and the handlers.
    void start(tracker_api::AnnounceRequest request, ReplyHandler on_reply, ErrorHandler on_error);

    // Changes fields of the next announces (e.g. the source's live_edge).
    void update(const std::function<void(tracker_api::AnnounceRequest&)>& edit);

    // Announces now instead of at the end of the current wait (no-op while one is in
    // flight or before start()).
    void announce_now();

    // Ends the loop, waits for an announce in flight to finish, then sends `stopped`
    // (bounded by stop_timeout; its failure is ignored). Safe to call more than once or
    // before start().
    boost::asio::awaitable<void> stop();

    [[nodiscard]] bool running() const noexcept;
    // Successful announces so far, and the interval (s) the tracker last told.
    [[nodiscard]] std::uint64_t announces_ok() const noexcept;
    [[nodiscard]] std::uint32_t interval_s() const noexcept;

    // --- one-shot calls (no loop needed); errors carry status 0 for transport failures.
    boost::asio::awaitable<Expected<tracker_api::AnnounceResponse>> announce_once(
        tracker_api::AnnounceRequest request);
    boost::asio::awaitable<Expected<tracker_api::ChannelList>> list_channels();
    boost::asio::awaitable<Expected<tracker_api::ChannelInfo>> channel_info();
    boost::asio::awaitable<Expected<tracker_api::DecadeServerInfo>> register_decade_server(
        tracker_api::DecadeServerInfo server);

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;  // shared with the loop coroutine
};

}  // namespace p2pls::tracker
