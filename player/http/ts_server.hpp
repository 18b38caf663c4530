// The player's local HTTP output (--http-out): GET /stream.ts is a continuous MPEG-TS
// stream of the chunks the player plays, for VLC, mpv, ffplay or ffmpeg on this machine;
// GET /stats is the player's status as JSON.
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

#include "player/core/fanout.hpp"

namespace p2pls::player::http {

struct TsServerOptions {
    std::string bind = "127.0.0.1";  // loopback unless asked (--http-bind)
    std::uint16_t port = 0;          // 0 picks a free port (see local_endpoint())
    FanoutLimits fanout{};
    std::size_t max_connections = 64;                  // all connections, streaming or not
    std::chrono::milliseconds request_timeout{5'000};  // to receive the request head
    std::chrono::milliseconds write_timeout{10'000};   // one chunk to one client
};

class TsServer {
  public:
    // Body of GET /stats (a JSON object).
    using StatsFn = std::function<std::string()>;

    // Binds and listens (throws boost::system::system_error when it cannot: a start-up
    // failure the app reports).
    TsServer(boost::asio::io_context& io, TsServerOptions options, StatsFn stats);
    ~TsServer();
    TsServer(const TsServer&) = delete;
    TsServer& operator=(const TsServer&) = delete;

    void start();
    // Stops accepting and closes every connection.
    void stop();

    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

    // A chunk was played: it goes to every streaming client (slow ones are dropped).
    void on_chunk(Payload payload);

    [[nodiscard]] std::size_t streaming_clients() const noexcept { return fanout_.clients(); }
    [[nodiscard]] std::uint64_t dropped_clients() const noexcept { return fanout_.dropped_total(); }
    [[nodiscard]] std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }

  private:
    struct Client;

    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<void> stream_to(std::shared_ptr<Client> client);

    boost::asio::io_context& io_;
    TsServerOptions options_;
    StatsFn stats_;
    boost::asio::ip::tcp::acceptor acceptor_;
    Fanout fanout_;
    std::map<ClientId, std::shared_ptr<Client>> streaming_;
    std::map<std::uint64_t, boost::asio::ip::tcp::socket*> open_;
    std::uint64_t next_conn_ = 0;
    std::uint64_t bytes_sent_ = 0;
    bool stopped_ = false;
    std::shared_ptr<bool> alive_;
};

}  // namespace p2pls::player::http
