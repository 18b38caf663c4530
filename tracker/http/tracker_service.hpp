// The tracker as an HTTP service: the shared Beast server (common/http) in front of the
// pure API (tracker/core/api.hpp), plus the timer that sweeps expired members. This file
// only converts between Beast's types and the core's and reads the clock. On several
// event loops (--threads) each request takes the state under one lock for the core's
// step; the sweep runs on the first loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/http/http_server.hpp"
#include "tracker/core/tracker_state.hpp"

namespace p2pls::tracker {

class TrackerService {
  public:
    // Binds `listen` at once (throws boost::system::system_error when it cannot). The
    // body cap of `limits` is raised to the core's max_body_bytes + 1 so that the core
    // answers an oversized body with its own 413 and JSON error body. With `tls`
    // (http::make_server_tls_context) it serves HTTPS only.
    TrackerService(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
                   TrackerConfig config, std::uint64_t seed, http::ServerLimits limits = {},
                   std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    // The same on several loops, each run by its own thread; the first is the home loop.
    TrackerService(std::vector<boost::asio::io_context*> loops,
                   const boost::asio::ip::tcp::endpoint& listen, TrackerConfig config,
                   std::uint64_t seed, http::ServerLimits limits = {},
                   std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

    TrackerService(const TrackerService&) = delete;
    TrackerService& operator=(const TrackerService&) = delete;

    // Starts serving and sweeping. Runs until stop() (from the home loop).
    void start();
    void stop();

    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
    // Before start() only: afterwards the loops share it under their lock.
    TrackerState& state() noexcept { return state_; }

    // Called with the state file's new text after a request bound a channel to a key
    // (the app writes it atomically). Unset: bindings live in memory only.
    void on_bindings_changed(std::function<void(const std::string& text)> save) {
        save_bindings_ = std::move(save);
    }

  private:
    boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                  const http::RequestContext& context);
    boost::asio::awaitable<void> sweep_loop();

    boost::asio::io_context& io_;  // the home loop
    std::mutex state_mutex_;       // the state, for requests on every loop
    TrackerState state_;
    http::HttpServer server_;
    boost::asio::steady_timer sweep_timer_;
    std::function<void(const std::string&)> save_bindings_;
    bool stopped_ = false;
};

// The current time as the cores take it.
TimePoint steady_now();
// The wall clock in Unix milliseconds (signed statements' timestamps).
std::int64_t unix_now_ms();

}  // namespace p2pls::tracker
