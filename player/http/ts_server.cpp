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
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <tuple>

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

TsServer::TsServer(asio::io_context& io, TsServerOptions options, Handlers handlers, WebFiles web)
    : io_(io),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      web_(std::move(web)),
      acceptor_(io),
      fanout_(options_.fanout),
      hls_(options_.hls),
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

void TsServer::on_chunk(std::uint64_t seq, std::int64_t timestamp_us, std::uint32_t duration_us,
                        Payload payload) {
    hls_.on_chunk(seq, timestamp_us, duration_us, payload);
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

void TsServer::refuse(tcp::socket& socket) {
    // One non-blocking write of a fixed answer: a flood of connections costs no
    // coroutine, no buffer and no timer each; a client whose socket buffer is full
    // (it cannot be, for a fresh connection) would just see the close.
    static const std::string busy = [] {
        const std::string body =
            R"({"error":"busy","detail":"too many connections to this player"})";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
               "Content-Length: " +
               std::to_string(body.size()) +
               "\r\nRetry-After: 1\r\nConnection: close\r\nServer: p2pls-player\r\n\r\n" + body;
    }();
    ++counters_.refused_connections;
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(busy), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
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
        if (open_connections() >= options_.max_connections) {
            refuse(socket);
            continue;
        }
        asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
}

p2pls::http::Response TsServer::respond(const Route& r, const p2pls::http::Request& req) {
    using p2pls::http::Status;
    namespace h = p2pls::http;
    switch (r.kind) {
        case RouteKind::playlist: {
            ++counters_.playlist_requests;
            auto playlist = hls_.playlist();
            if (!playlist) {
                auto res = h::make_error_response(req, Status::service_unavailable, "not_yet",
                                                  "no chunk has played yet; retry");
                res.set(bhttp::field::retry_after, "1");
                return res;
            }
            auto res = h::make_response(req, Status::ok, std::move(*playlist),
                                        "application/vnd.apple.mpegurl");
            // A live playlist changes every chunk: never reuse one.
            res.set(bhttp::field::cache_control, "no-cache");
            return res;
        }
        case RouteKind::segment: {
            ++counters_.segment_requests;
            if (auto body = hls_.segment(r.seq)) {
                auto res = h::make_shared_response(req, Status::ok, std::move(body), "video/mp2t");
                // A segment's bytes never change while its seq is in the window; a source
                // restart reuses seqs, so the reuse is short.
                res.set(bhttp::field::cache_control,
                        "max-age=" +
                            std::to_string(hls_.limits().max_segments * hls_.target_duration_s()));
                return res;
            }
            ++counters_.segments_not_found;
            return h::make_error_response(
                req, Status::not_found, "not_in_window",
                "segment " + std::to_string(r.seq) +
                    " is not in the live window; GET /live.m3u8 names the segments there are");
        }
        case RouteKind::bad_segment:
            return h::make_error_response(req, Status::bad_request, "bad_segment",
                                          "a segment is /seg/<seq>.ts with a decimal seq");
        case RouteKind::stats:
            return h::make_json_response(req, Status::ok,
                                         handlers_.stats ? handlers_.stats() : "{}");
        case RouteKind::metrics:
            return h::make_response(req, Status::ok, handlers_.metrics ? handlers_.metrics() : "",
                                    "text/plain; version=0.0.4; charset=utf-8");
        case RouteKind::web_file: {
            if (const auto it = web_.by_url.find(r.file); it != web_.by_url.end()) {
                auto res = h::make_shared_response(req, Status::ok, it->second.body,
                                                   it->second.content_type);
                res.set(bhttp::field::cache_control, "no-cache");
                return res;
            }
            return h::make_error_response(req, Status::not_found, "no_web_player", web_.missing);
        }
        case RouteKind::bad_method: {
            auto res = h::make_error_response(req, Status::method_not_allowed, "method_not_allowed",
                                              "only GET and HEAD");
            res.set(bhttp::field::allow, "GET, HEAD");
            return res;
        }
        case RouteKind::stream:  // served by serve() itself
        case RouteKind::not_found:
            break;
    }
    return h::make_error_response(req, Status::not_found, "not_found", routes_help());
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
    for (;;) {
        bhttp::request_parser<bhttp::empty_body> parser;
        parser.header_limit(8 * 1024);
        // The wait for the next request on a kept-alive connection counts too: an idle
        // browser tab polls every second, an idle connection is closed.
        stream.expires_after(options_.request_timeout);
        auto [rec, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
        if (rec || !*alive || stopped_) {
            co_return;  // timeout, garbage, a body, or a closed socket: nothing to answer
        }
        const auto& req = parser.get();
        const Route r = route(req.method_string(), req.target());

        if (r.kind == RouteKind::stream) {
            auto id = r.head ? std::nullopt : fanout_.add_client();
            if (r.head || id) {
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
            p2pls::http::Request busy_req;
            busy_req.version(req.version());
            busy_req.keep_alive(false);
            auto res =
                p2pls::http::make_error_response(busy_req, p2pls::http::Status::service_unavailable,
                                                 "busy", "too many /stream.ts clients");
            res.set(bhttp::field::retry_after, "5");
            stream.expires_after(options_.write_timeout);
            co_await bhttp::async_write(stream, res, kUseTuple);
            co_return;
        }

        p2pls::http::Request string_req;
        string_req.version(req.version());
        string_req.keep_alive(req.keep_alive() && !stopped_);
        auto res = respond(r, string_req);
        const bool keep_alive = res.keep_alive();
        const std::uint64_t body_bytes = r.head ? 0 : res.payload_size().value_or(0);
        stream.expires_after(options_.write_timeout);
        boost::system::error_code wec;
        if (r.head) {
            bhttp::response_serializer<p2pls::http::ResponseBody> sr{res};
            std::tie(wec, std::ignore) = co_await bhttp::async_write_header(stream, sr, kUseTuple);
        } else {
            std::tie(wec, std::ignore) = co_await bhttp::async_write(stream, res, kUseTuple);
        }
        if (!*alive || wec) {
            co_return;
        }
        if (r.kind == RouteKind::segment) {
            counters_.bytes_sent += body_bytes;
        }
        if (!keep_alive || stopped_) {
            break;
        }
    }
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
        counters_.bytes_sent += n;
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
