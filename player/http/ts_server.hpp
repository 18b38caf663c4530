// The player's local HTTP output (--http-out), routed by player/core/http_routes.hpp:
//  - GET /stream.ts is a continuous MPEG-TS stream of the chunks the player plays, for
//    VLC, mpv, ffplay or ffmpeg on this machine;
//  - GET /live.m3u8 and /seg/<seq>.ts are the same chunks as HLS (player/core/
//    hls_window.hpp), for browsers (the page at /, through hls.js) and HLS clients;
//  - GET /stats (JSON) and /metrics (Prometheus text) are the player's figures;
//  - GET / and the page's files come from memory, loaded once at start (web_files.hpp).
// Requests other than /stream.ts may share a keep-alive connection (a browser polls the
// playlist every second). Beyond max_connections a connection gets a 503 and is closed.
//
// /stream.ts is answered with a raw HTTP/1.1 200 header (Content-Type: video/mp2t,
// Connection: close, no length) followed by TS bytes until either side closes: the form
// every such client reads, with no chunked framing to undo. Which chunk each client gets
// and when a slow one is dropped is decided by player/core/fanout.hpp; this file only
// moves bytes: one coroutine per connection, a write timeout, and a wake-up timer per
// streaming client.
//
// Threads: everything on the io_context's thread (on_chunk included).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/http/http_server.hpp"
#include "player/core/fanout.hpp"
#include "player/core/hls_window.hpp"
#include "player/core/http_routes.hpp"
#include "player/http/web_files.hpp"

namespace p2pls::player::http {

struct TsServerOptions {
    std::string bind = "127.0.0.1";  // loopback unless asked (--http-bind)
    std::uint16_t port = 0;          // 0 picks a free port (see local_endpoint())
    FanoutLimits fanout{};
    HlsLimits hls{};
    std::size_t max_connections = 64;                  // all connections, streaming or not
    std::chrono::milliseconds request_timeout{5'000};  // to receive a request head (or idle)
    std::chrono::milliseconds write_timeout{10'000};   // one chunk to one client
};

// What the server reports about itself (the player's /metrics).
struct TsServerCounters {
    std::uint64_t refused_connections = 0;  // over max_connections: 503 and closed
    std::uint64_t playlist_requests = 0;
    std::uint64_t segment_requests = 0;
    std::uint64_t segments_not_found = 0;  // outside the window (404)
    std::uint64_t bytes_sent = 0;          // /stream.ts and segment bodies
};

class TsServer {
  public:
    struct Handlers {
        std::function<std::string()> stats;    // body of GET /stats (a JSON object)
        std::function<std::string()> metrics;  // body of GET /metrics
    };

    // Binds and listens (throws boost::system::system_error when it cannot: a start-up
    // failure the app reports).
    TsServer(boost::asio::io_context& io, TsServerOptions options, Handlers handlers,
             WebFiles web = {});
    ~TsServer();
    TsServer(const TsServer&) = delete;
    TsServer& operator=(const TsServer&) = delete;

    void start();
    // Stops accepting and closes every connection.
    void stop();

    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

    // A verified chunk was played: it goes to every streaming client (slow ones are
    // dropped) and into the HLS window.
    void on_chunk(std::uint64_t seq, std::int64_t timestamp_us, std::uint32_t duration_us,
                  Payload payload);

    [[nodiscard]] std::size_t streaming_clients() const noexcept { return fanout_.clients(); }
    [[nodiscard]] std::uint64_t dropped_clients() const noexcept { return fanout_.dropped_total(); }
    [[nodiscard]] std::size_t open_connections() const noexcept {
        return open_.size() + streaming_.size();
    }
    [[nodiscard]] const TsServerCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const HlsWindow& hls() const noexcept { return hls_; }

  private:
    struct Client;

    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<void> stream_to(std::shared_ptr<Client> client);
    [[nodiscard]] p2pls::http::Response respond(const Route& route,
                                                const p2pls::http::Request& req);
    void refuse(boost::asio::ip::tcp::socket& socket);

    boost::asio::io_context& io_;
    TsServerOptions options_;
    Handlers handlers_;
    WebFiles web_;
    boost::asio::ip::tcp::acceptor acceptor_;
    Fanout fanout_;
    HlsWindow hls_;
    std::map<ClientId, std::shared_ptr<Client>> streaming_;
    std::map<std::uint64_t, boost::asio::ip::tcp::socket*> open_;
    std::uint64_t next_conn_ = 0;
    TsServerCounters counters_;
    bool stopped_ = false;
    std::shared_ptr<bool> alive_;
};

}  // namespace p2pls::player::http
