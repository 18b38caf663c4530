#include "player/http/ts_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "common/http/http_server.hpp"

namespace p2pls::player::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kStreamHead =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: video/mp2t\r\n"
    "Cache-Control: no-cache, no-store\r\n"
    "Connection: close\r\n"
    "Server: p2pls-player\r\n"
    "\r\n";

}  // namespace

struct TsServer::Client {
    Client(beast::tcp_stream s, ClientId client_id)
        : stream(std::move(s)), wake(stream.get_executor()), id(client_id) {
        wake.expires_at(asio::steady_timer::time_point::max());
    }
    beast::tcp_stream stream;
    asio::steady_timer wake;  // cancelled when a chunk is queued or the client is dropped
    ClientId id;
    bool dropped = false;
};

TsServer::TsServer(asio::io_context& io, TsServerOptions options, StatsFn stats)
    : io_(io),
      options_(std::move(options)),
      stats_(std::move(stats)),
      acceptor_(io),
      fanout_(options_.fanout),
      alive_(std::make_shared<bool>(true)) {
    const tcp::endpoint endpoint{asio::ip::make_address(options_.bind), options_.port};
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
}

TsServer::~TsServer() {
    *alive_ = false;
    stop();
}

tcp::endpoint TsServer::local_endpoint() const {
    return acceptor_.local_endpoint();
}

void TsServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void TsServer::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, socket] : open_) {
        socket->close(ignored);
    }
    for (auto& [id, client] : streaming_) {
        client->dropped = true;
        client->wake.cancel();
        client->stream.socket().close(ignored);
    }
}

void TsServer::on_chunk(Payload payload) {
    fanout_.on_chunk(std::move(payload));
    for (const ClientId id : fanout_.take_dropped()) {
        if (const auto it = streaming_.find(id); it != streaming_.end()) {
            it->second->dropped = true;
            boost::system::error_code ignored;
            it->second->stream.socket().close(ignored);
        }
    }
    for (auto& [id, client] : streaming_) {
        client->wake.cancel();
    }
}

asio::awaitable<void> TsServer::accept_loop() {
    const auto alive = alive_;
    while (*alive && !stopped_) {
        auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
        if (!*alive || stopped_) {
            co_return;
        }
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                co_return;
            }
            continue;  // e.g. EMFILE: keep serving the clients we have
        }
        if (open_.size() >= options_.max_connections) {
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> TsServer::serve(tcp::socket socket) {
    const auto alive = alive_;
    const auto conn = next_conn_++;
    beast::tcp_stream stream(std::move(socket));
    open_[conn] = &stream.socket();
    struct Forget {
        TsServer* self;
        std::shared_ptr<bool> alive;
        std::uint64_t conn;
        ~Forget() {
            if (*alive) {
                self->open_.erase(conn);
            }
        }
    } forget{this, alive, conn};

    beast::flat_buffer buffer(8 * 1024);
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(8 * 1024);
    stream.expires_after(options_.request_timeout);
    auto [rec, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    if (rec || !*alive || stopped_) {
        co_return;  // timeout, garbage or a closed socket: nothing to answer
    }
    const auto& req = parser.get();
    const auto segments = p2pls::http::path_segments(req.target());
    const bool is_stream = segments.size() == 1 && segments[0] == "stream.ts";
    const bool get_or_head = req.method() == bhttp::verb::get || req.method() == bhttp::verb::head;

    if (is_stream && get_or_head) {
        auto id = req.method() == bhttp::verb::get ? fanout_.add_client() : std::nullopt;
        if (req.method() == bhttp::verb::head || id) {
            stream.expires_after(options_.write_timeout);
            auto [wec, w] = co_await asio::async_write(
                stream, asio::buffer(kStreamHead.data(), kStreamHead.size()), kUseTuple);
            if (wec || !*alive || stopped_ || !id) {
                if (id && *alive) {
                    fanout_.remove_client(*id);
                }
                co_return;
            }
            open_.erase(conn);  // the client owns the stream from here
            auto client = std::make_shared<Client>(std::move(stream), *id);
            streaming_[*id] = client;
            co_await stream_to(client);
            co_return;
        }
        // Too many streaming clients: say so and close.
        p2pls::http::Request as_string_req;
        as_string_req.version(req.version());
        as_string_req.keep_alive(false);
        auto res = p2pls::http::make_error_response(as_string_req,
                                                    p2pls::http::Status::service_unavailable,
                                                    "busy", "too many /stream.ts clients");
        res.set(bhttp::field::retry_after, "5");
        stream.expires_after(options_.write_timeout);
        co_await bhttp::async_write(stream, res, kUseTuple);
        co_return;
    }

    p2pls::http::Request string_req;
    string_req.version(req.version());
    string_req.keep_alive(false);
    p2pls::http::Response res;
    if (segments.size() == 1 && segments[0] == "stats" && req.method() == bhttp::verb::get) {
        res = p2pls::http::make_json_response(string_req, p2pls::http::Status::ok,
                                              stats_ ? stats_() : "{}");
    } else if (!get_or_head) {
        res = p2pls::http::make_error_response(string_req, p2pls::http::Status::method_not_allowed,
                                               "method_not_allowed", "only GET and HEAD");
    } else {
        res = p2pls::http::make_error_response(string_req, p2pls::http::Status::not_found,
                                               "not_found", "try GET /stream.ts or GET /stats");
    }
    res.keep_alive(false);
    stream.expires_after(options_.write_timeout);
    co_await bhttp::async_write(stream, res, kUseTuple);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> TsServer::stream_to(std::shared_ptr<Client> client) {
    const auto alive = alive_;
    while (*alive && !stopped_ && !client->dropped) {
        Payload next = fanout_.front(client->id);
        if (!next) {
            client->wake.expires_at(asio::steady_timer::time_point::max());
            co_await client->wake.async_wait(kUseTuple);
            continue;
        }
        client->stream.expires_after(options_.write_timeout);
        auto [ec, n] = co_await asio::async_write(
            client->stream, asio::buffer(next->data(), next->size()), kUseTuple);
        if (!*alive) {
            co_return;
        }
        if (ec) {
            break;  // the client left, or was too slow for the write timeout
        }
        bytes_sent_ += n;
        fanout_.pop(client->id);
    }
    if (*alive) {
        fanout_.remove_client(client->id);
        streaming_.erase(client->id);
    }
    boost::system::error_code ignored;
    client->stream.socket().close(ignored);
}

}  // namespace p2pls::player::http
