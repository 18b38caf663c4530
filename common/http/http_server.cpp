#include "common/http/http_server.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cerrno>
#include <csignal>
#include <exception>
#include <limits>
#include <sstream>

#include "common/core/proto_json.hpp"
#include "common/http/body_stream.hpp"
#include "common/http/response_writer.hpp"
#include "common/posix/traffic_capture.hpp"
#include "p2pls/http.pb.h"

namespace p2pls::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {

// Refusals are written by short-lived coroutines; past this many at once the server
// just closes new connections, so that a flood cannot make it queue refusal work.
constexpr std::size_t kMaxRefusalsInFlight = 64;
// How long the accept loop waits when the descriptor table is full.
constexpr auto kAcceptPause = std::chrono::milliseconds(50);

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& listen, ServerLimits limits,
                       Handler handler, std::shared_ptr<ssl::context> tls)
    : HttpServer(std::vector<asio::io_context*>{&io}, listen, limits, std::move(handler),
                 std::move(tls)) {}

HttpServer::HttpServer(std::vector<asio::io_context*> loops, const tcp::endpoint& listen,
                       ServerLimits limits, Handler handler, std::shared_ptr<ssl::context> tls)
    : loops_(std::move(loops)),
      acceptor_(*loops_.at(0)),
      limits_(limits),
      handler_(std::move(handler)),
      tls_(std::move(tls)),
      admitted_(loops_.size(), 0),
      alive_(std::make_shared<bool>(true)) {
    // sendfile(2) has no MSG_NOSIGNAL: a client that hangs up in the middle of a file body
    // would kill the process with SIGPIPE. As in nginx, the signal is ignored and the
    // write fails with EPIPE instead.
    ::signal(SIGPIPE, SIG_IGN);
    acceptor_.open(listen.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(listen);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void HttpServer::stream_bodies(StreamedBodies streamed) {
    streamed_ = std::make_unique<StreamedBodies>(std::move(streamed));
}

HttpServer::~HttpServer() {
    *alive_ = false;
    stop();
}

tcp::endpoint HttpServer::local_endpoint() const {
    return acceptor_.local_endpoint();
}

std::size_t HttpServer::open_connections() const {
    const std::lock_guard lock(books_);
    return open_;
}
std::size_t HttpServer::active_requests() const {
    const std::lock_guard lock(books_);
    return active_;
}
std::uint64_t HttpServer::refused_connections() const {
    const std::lock_guard lock(books_);
    return refused_;
}
std::uint64_t HttpServer::hung_up_requests() const {
    const std::lock_guard lock(books_);
    return hung_up_;
}
std::uint64_t HttpServer::evicted_connections() const {
    const std::lock_guard lock(books_);
    return evicted_;
}
std::size_t HttpServer::tracked_clients() const {
    const std::lock_guard lock(books_);
    return clients_.size();
}
std::vector<std::uint64_t> HttpServer::admitted_per_loop() const {
    const std::lock_guard lock(books_);
    return admitted_;
}

void HttpServer::start() {
    asio::co_spawn(*loops_.front(), accept_loop(), asio::detached);
}

bool HttpServer::on_loop(std::size_t loop) const {
    // One loop: every caller is on its thread (or the loop is not running at all).
    return loops_.size() == 1 || loops_[loop]->get_executor().running_in_this_thread();
}

void HttpServer::close_session(std::uint64_t id, const Session& session) {
    const auto close = [](tcp::socket& socket) {
        boost::system::error_code ignored;
        socket.cancel(ignored);
        socket.shutdown(tcp::socket::shutdown_both, ignored);
    };
    if (on_loop(session.loop)) {
        if (session.socket != nullptr) {
            close(*session.socket);
        }
        return;
    }
    // Sockets are not thread-safe: the session's own loop closes it, if it is still open
    // by then (its coroutine ends on that loop too, so the socket cannot go in between).
    asio::post(*loops_[session.loop], [this, id, close, alive = alive_] {
        if (!*alive) {
            return;
        }
        const std::lock_guard lock(books_);
        if (const auto it = sessions_.find(id); it != sessions_.end() && it->second.socket) {
            close(*it->second.socket);
        }
    });
}

void HttpServer::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    if (on_loop(0)) {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
    } else {
        asio::post(*loops_.front(), [this, alive = alive_] {
            if (*alive) {
                boost::system::error_code ignored;
                acceptor_.close(ignored);
            }
        });
    }
    const std::lock_guard lock(books_);
    for (const auto& [id, session] : sessions_) {
        close_session(id, session);
    }
}

// One open connection in the server's books, from the accept to the end of its
// coroutine, however that ends (a handler's exception included): the destructor gives
// back the connection, its client's count and its session entry.
class HttpServer::Connection {
  public:
    // Books held: HttpServer::admit books it.
    Connection(HttpServer& server, const tcp::endpoint& remote, std::size_t loop)
        : server_(server),
          alive_(server.alive_),
          remote_(remote),
          id_(server.next_session_++),
          loop_(loop) {
        ++server_.open_;
        ++server_.clients_[remote_.address()].connections;
        server_.sessions_.emplace(id_, Session{.loop = loop, .client = remote_.address()});
    }
    ~Connection() {
        if (!*alive_) {
            return;  // a server that is gone keeps no books
        }
        const std::lock_guard lock(server_.books_);
        server_.mark_busy_locked(id_);
        bool evicted = false;
        if (auto it = server_.sessions_.find(id_); it != server_.sessions_.end()) {
            evicted = it->second.evicted;
            server_.sessions_.erase(it);
        }
        --server_.open_;
        if (evicted) {
            --server_.evicting_;
        }
        if (auto it = server_.clients_.find(remote_.address()); it != server_.clients_.end()) {
            if (evicted) {
                --it->second.evicting;
            }
            if (--it->second.connections == 0) {
                server_.clients_.erase(it);
            }
        }
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void attach(tcp::socket& socket) {
        const std::lock_guard lock(server_.books_);
        server_.sessions_.at(id_).socket = &socket;
    }
    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
    [[nodiscard]] const tcp::endpoint& remote() const noexcept { return remote_; }
    [[nodiscard]] std::size_t loop() const noexcept { return loop_; }
    [[nodiscard]] bool alive() const noexcept { return *alive_; }

  private:
    HttpServer& server_;
    std::shared_ptr<bool> alive_;
    tcp::endpoint remote_;
    std::uint64_t id_;
    std::size_t loop_;
};

// One of a client's request slots, held from the whole header until the response is
// written (or the connection fails). Empty when the client's slots are all taken. The
// client's books exist: its connection holds them.
class HttpServer::RequestSlot {
  public:
    RequestSlot(HttpServer& server, const asio::ip::address& client)
        : server_(server), alive_(server.alive_), client_(client) {
        const std::lock_guard lock(server_.books_);
        const std::size_t cap = server_.limits_.max_requests_per_client;
        auto& books = server_.clients_.at(client_);
        if (cap != 0 && books.requests >= cap) {
            return;
        }
        ++books.requests;
        ++server_.active_;
        held_ = true;
    }
    ~RequestSlot() {
        if (!held_ || !*alive_) {
            return;
        }
        const std::lock_guard lock(server_.books_);
        --server_.active_;
        if (auto it = server_.clients_.find(client_); it != server_.clients_.end()) {
            --it->second.requests;
        }
    }
    RequestSlot(const RequestSlot&) = delete;
    RequestSlot& operator=(const RequestSlot&) = delete;

    explicit operator bool() const noexcept { return held_; }

  private:
    HttpServer& server_;
    std::shared_ptr<bool> alive_;
    asio::ip::address client_;
    bool held_ = false;
};

void HttpServer::mark_idle(std::uint64_t id) {
    const std::lock_guard lock(books_);
    auto& session = sessions_.at(id);
    if (session.idle) {
        return;
    }
    if (spare_idle_.empty()) {
        session.idle = idle_.insert(idle_.end(), id);
        return;
    }
    // A node a busy connection gave back: no allocation per request.
    idle_.splice(idle_.end(), spare_idle_, spare_idle_.begin());
    session.idle = std::prev(idle_.end());
    **session.idle = id;
}

void HttpServer::mark_busy(std::uint64_t id) {
    const std::lock_guard lock(books_);
    mark_busy_locked(id);
}

void HttpServer::mark_busy_locked(std::uint64_t id) {
    auto it = sessions_.find(id);
    if (it != sessions_.end() && it->second.idle) {
        spare_idle_.splice(spare_idle_.end(), idle_, *it->second.idle);
        it->second.idle.reset();
    }
}

bool HttpServer::evict_oldest_idle(const std::optional<asio::ip::address>& client) {
    // Oldest first; a scan of at most max_connections entries, only when a cap is hit.
    const auto it = std::find_if(idle_.begin(), idle_.end(), [&](std::uint64_t id) {
        return !client || sessions_.at(id).client == *client;
    });
    if (it == idle_.end()) {
        return false;
    }
    const std::uint64_t id = *it;
    idle_.erase(it);
    auto& session = sessions_.at(id);
    session.idle.reset();
    session.evicted = true;
    ++evicting_;
    ++clients_.at(session.client).evicting;
    ++evicted_;
    close_session(id, session);
    return true;
}

std::unique_ptr<HttpServer::Connection> HttpServer::admit(const tcp::endpoint& remote,
                                                          std::size_t loop, std::string_view& why) {
    const std::lock_guard lock(books_);
    // Refused before anything is booked: a refused address leaves no entry behind.
    const std::size_t per_client = limits_.max_connections_per_client;
    if (per_client != 0) {
        const auto it = clients_.find(remote.address());
        // Its connections being evicted are as good as closed, as below.
        if (it != clients_.end() && it->second.connections - it->second.evicting >= per_client &&
            !evict_oldest_idle(remote.address())) {
            ++refused_;
            why = "connection limit per client reached";
            return nullptr;
        }
    }
    // Connections being evicted are as good as closed.
    const bool full = open_ - evicting_ >= limits_.max_connections;
    if (full && !evict_oldest_idle()) {
        ++refused_;
        why = "connection limit reached";
        return nullptr;
    }
    ++admitted_[loop];
    return std::make_unique<Connection>(*this, remote, loop);
}

asio::awaitable<void> HttpServer::accept_loop() {
    const auto alive = alive_;
    auto& home = *loops_.front();
    std::size_t turn = 0;
    while (*alive && !stopped_) {
        // The loops take the connections in turn: the socket is made on the loop that
        // serves it. The peer's address comes with the accept (no getpeername).
        const std::size_t loop = turn++ % loops_.size();
        auto& io = *loops_[loop];
        tcp::endpoint remote;
        auto [ec, socket] = co_await acceptor_.async_accept(io, remote, use_tuple);
        if (!*alive || stopped_) {
            co_return;
        }
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                co_return;
            }
            // Out of descriptors (or kernel memory) the connection stays in the backlog and
            // the next accept fails at once: without a pause this loop would spin a core
            // until a descriptor frees. The connections we have are served meanwhile.
            if (ec == asio::error::no_descriptors || ec.value() == ENFILE ||
                ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
                asio::steady_timer pause(home, kAcceptPause);
                co_await pause.async_wait(use_tuple);
            }
            continue;
        }
        std::string_view why;
        auto connection = admit(remote, loop, why);
        if (!connection) {
            bool write = false;
            {
                const std::lock_guard lock(books_);
                write = refusing_ < kMaxRefusalsInFlight;
                refusing_ += write ? 1 : 0;
            }
            if (write) {
                asio::co_spawn(io, refuse(std::move(socket), std::string(why)), asio::detached);
            }
            continue;
        }
        if (tls_) {
            asio::co_spawn(io,
                           serve(std::move(connection),
                                 beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_)),
                           asio::detached);
        } else {
            asio::co_spawn(io, serve(std::move(connection), beast::tcp_stream(std::move(socket))),
                           asio::detached);
        }
    }
}

namespace {

// 503 + Retry-After with the error body every client of ours understands.
Response busy_response(unsigned version, std::uint32_t retry_after_s, std::string_view why) {
    Response res{Status::service_unavailable, version};
    res.set(beast::http::field::server, "p2pls");
    res.set(beast::http::field::retry_after, std::to_string(retry_after_s));
    res.set(beast::http::field::content_type, "application/json");
    http_api::ErrorBody body;
    body.set_error("busy");
    body.set_detail(std::string(why) + "; retry after " + std::to_string(retry_after_s) + " s");
    res.body() = to_json(body);
    res.keep_alive(false);
    res.prepare_payload();
    return res;
}

// The answer to a request that could not be read, when it deserves one; a timeout or a
// closed connection gets nothing.
std::optional<Response> read_failure_response(const boost::system::error_code& ec,
                                              const Request& partial, const ServerLimits& limits) {
    if (ec == beast::http::error::body_limit) {
        return make_error_response(
            partial, Status::payload_too_large, "body_too_large",
            "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (ec == beast::http::error::header_limit) {
        return make_error_response(partial, Status::request_header_fields_too_large,
                                   "header_too_large", "request header too large");
    }
    if (ec.category() == beast::http::make_error_code(beast::http::error::bad_target).category()) {
        return make_error_response(partial, Status::bad_request, "bad_http", ec.message());
    }
    return std::nullopt;
}

// Completes when the client has closed its side (or the connection failed); a client
// that sends more bytes instead (a pipelined request) is not watched further. Cancelled
// when the handler answers first.
asio::awaitable<void> hang_up(tcp::socket& socket) {
    for (;;) {
        auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
        if (ec) {
            co_return;  // cancelled because the answer is ready, or the socket failed
        }
        char byte = 0;
        const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            co_return;  // EOF or reset: nobody will read the answer
        }
        if (n > 0) {
            // More bytes: the client is there. Sleep until cancelled.
            asio::steady_timer forever(socket.get_executor(),
                                       asio::steady_timer::time_point::max());
            co_await forever.async_wait(use_tuple);
            co_return;
        }
    }
}

tcp::socket& socket_of(beast::tcp_stream& stream) {
    return stream.socket();
}
tcp::socket& socket_of(beast::ssl_stream<beast::tcp_stream>& stream) {
    return beast::get_lowest_layer(stream).socket();
}

// A TLS connection starts with the handshake; a plain one is ready at once.
asio::awaitable<boost::system::error_code> handshake(beast::tcp_stream& /*stream*/) {
    co_return boost::system::error_code{};
}
asio::awaitable<boost::system::error_code> handshake(beast::ssl_stream<beast::tcp_stream>& stream) {
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    co_return ec;
}

}  // namespace

// The accept loop counted this refusal in refusing_ before spawning it.
asio::awaitable<void> HttpServer::refuse(tcp::socket socket, std::string why) {
    const auto alive = alive_;
    beast::tcp_stream stream(std::move(socket));
    // A TLS client cannot read a plain 503, and a handshake per refusal would be work a
    // flood could make the server do: it is just closed.
    if (!tls_) {
        Response res = busy_response(11, limits_.busy_retry_after_s, why);
        stream.expires_after(std::chrono::seconds(2));
        co_await beast::http::async_write(stream, res, use_tuple);
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (*alive) {
        const std::lock_guard lock(books_);
        --refusing_;
    }
}

template <class Stream>
asio::awaitable<void> HttpServer::serve(std::unique_ptr<Connection> connection, Stream stream) {
    connection->attach(socket_of(stream));
    if (stopped_) {
        co_return;
    }
    // Until the handshake is done the connection is idle: it holds no slot and may be
    // evicted, so a client that stalls in it is bounded like any idle one.
    mark_idle(connection->id());
    beast::get_lowest_layer(stream).expires_after(limits_.handshake_timeout);
    const auto handshake_ec = co_await handshake(stream);
    if (!connection->alive()) {
        co_return;  // the server is gone; the connection's destructor knows it
    }
    mark_busy(connection->id());
    if (!handshake_ec) {
        co_await serve_requests(*connection, stream);
    }
    if (!connection->alive()) {
        co_return;
    }
    boost::system::error_code ignored;
    socket_of(stream).shutdown(tcp::socket::shutdown_send, ignored);
}

namespace {

// The body of one streamed request, read into a fixed piece buffer through Beast's
// buffer_body parser, the request timeout renewed for every piece.
template <class Stream>
class StreamReader final : public BodyStream {
  public:
    StreamReader(Stream& stream, beast::flat_buffer& buffer,
                 beast::http::request_parser<beast::http::buffer_body>& parser,
                 std::chrono::milliseconds timeout)
        : stream_(stream), buffer_(buffer), parser_(parser), timeout_(timeout) {
        piece_.resize(kBodyPieceBytes);
    }

    asio::awaitable<Result<std::string_view>> next() override {
        auto& transport = beast::get_lowest_layer(stream_);
        if (!continued_) {
            continued_ = true;
            const auto expect = parser_.get()[beast::http::field::expect];
            if (beast::iequals(expect, "100-continue") && !parser_.is_done()) {
                transport.expires_after(timeout_);
                beast::http::response<beast::http::empty_body> go{beast::http::status::continue_,
                                                                  parser_.get().version()};
                auto [ec, n] = co_await beast::http::async_write(stream_, go, use_tuple);
                if (ec) {
                    co_return ec;
                }
            }
        }
        while (!parser_.is_done()) {
            auto& body = parser_.get().body();
            body.data = piece_.data();
            body.size = piece_.size();
            transport.expires_after(timeout_);
            auto [ec, n] = co_await beast::http::async_read(stream_, buffer_, parser_, use_tuple);
            if (ec && ec != beast::http::error::need_buffer) {
                co_return ec;
            }
            const std::size_t got = piece_.size() - body.size;
            if (got > 0) {
                received_ += got;
                co_return std::string_view(piece_.data(), got);
            }
        }
        co_return std::string_view{};
    }
    [[nodiscard]] std::uint64_t received() const override { return received_; }
    [[nodiscard]] bool done() const override { return parser_.is_done(); }

    // After an answer given before the body was in: reads and drops up to `max` more bytes,
    // so that a small body's client reads the answer instead of a reset (closing a socket
    // with unread bytes resets it). Nothing when the client still waits for 100-continue:
    // it has sent no body.
    asio::awaitable<void> drain(std::uint64_t max) {
        if (!continued_ &&
            beast::iequals(parser_.get()[beast::http::field::expect], "100-continue")) {
            co_return;
        }
        continued_ = true;
        std::uint64_t dropped = 0;
        while (!parser_.is_done() && dropped <= max) {
            const auto piece = co_await next();
            if (!piece || piece->empty()) {
                break;
            }
            dropped += piece->size();
        }
    }

  private:
    Stream& stream_;
    beast::flat_buffer& buffer_;
    beast::http::request_parser<beast::http::buffer_body>& parser_;
    std::chrono::milliseconds timeout_;
    std::string piece_;
    std::uint64_t received_ = 0;
    bool continued_ = false;
};

}  // namespace

template <class Stream>
asio::awaitable<void> HttpServer::serve_requests(Connection& connection, Stream& stream) {
    const auto alive = alive_;
    const std::uint64_t id = connection.id();
    const RequestContext context{connection.remote(), connection.loop()};
    auto& transport = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    std::string header_scratch;  // write_response: the header of a file response
    bool first = true;

    while (*alive && !stopped_) {
        if (buffer.size() == 0) {
            // Before a request: idle, so evictable and holding no slot, until its first
            // byte arrives. A new connection gets the request timeout for it, a kept-alive
            // one the idle timeout.
            mark_idle(id);
            transport.expires_after(first ? limits_.request_timeout : limits_.idle_timeout);
            auto [idle_ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
            if (!*alive) {
                co_return;
            }
            mark_busy(id);
            if (idle_ec) {
                break;
            }
            buffer.commit(n);
        }
        first = false;

        beast::http::request_parser<beast::http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
        // A streamed route has a cap of its own, known only once the header is in.
        parser.body_limit(streamed_ ? std::numeric_limits<std::uint64_t>::max()
                                    : limits_.max_body_bytes);
        transport.expires_after(limits_.request_timeout);
        auto [header_ec, hn] =
            co_await beast::http::async_read_header(stream, buffer, parser, use_tuple);
        if (!*alive) {
            co_return;
        }
        std::optional<Response> failure;
        if (header_ec) {
            failure = read_failure_response(header_ec, parser.get(), limits_);
        }

        // The slot is taken once the whole header is in: a client is limited by what it
        // asks of the server at once, not by the connections it keeps.
        std::optional<RequestSlot> slot;
        if (!header_ec) {
            slot.emplace(*this, context.remote.address());
            if (!*slot) {
                const std::lock_guard lock(books_);
                ++refused_;
                failure = busy_response(parser.get().version(), limits_.busy_retry_after_s,
                                        "request limit per client reached");
            }
        }
        const std::uint64_t stream_cap =
            !failure && !header_ec && streamed_ ? streamed_->cap(parser.get()) : 0;
        if (const auto length = parser.content_length();
            stream_cap > 0 && length && *length > stream_cap) {
            // Refused before the handler and before the body: a client that waits for
            // 100-continue never sends it.
            failure = make_error_response(
                parser.get(), Status::payload_too_large, "body_too_large",
                "request body exceeds " + std::to_string(stream_cap) + " bytes");
        } else if (stream_cap > 0) {
            // The body goes to the streaming handler as it arrives.
            beast::http::request_parser<beast::http::buffer_body> body_parser(std::move(parser));
            body_parser.body_limit(stream_cap);
            Request header;
            header.base() = body_parser.get().base();
            StreamReader<Stream> reader(stream, buffer, body_parser, limits_.request_timeout);
            std::optional<Response> response;
            try {
                response = co_await streamed_->handler(header, reader, context);
            } catch (const std::exception& e) {
                response = make_error_response(header, Status::internal_server_error, "internal",
                                               e.what());
            }
            if (!*alive) {
                co_return;
            }
            if (!reader.done()) {
                co_await reader.drain(kBodyPieceBytes);
                if (!*alive) {
                    co_return;
                }
            }
            response->version(header.version());
            response->keep_alive(header.keep_alive() && response->keep_alive() && reader.done());
            response->prepare_payload();
            const auto write_ec =
                co_await write_response(stream, *response, limits_.write_timeout, header_scratch);
            if (!*alive || write_ec || !response->keep_alive()) {
                break;
            }
            continue;
        }
        if (!failure && !header_ec && streamed_) {
            const auto length = parser.content_length();
            if (length && *length > limits_.max_body_bytes) {
                failure =
                    read_failure_response(beast::http::error::body_limit, parser.get(), limits_);
            }
            parser.body_limit(limits_.max_body_bytes);
        }
        if (!failure && !header_ec && !parser.is_done()) {
            auto [body_ec, bn] =
                co_await beast::http::async_read(stream, buffer, parser, use_tuple);
            if (!*alive) {
                co_return;
            }
            if (body_ec) {
                failure = read_failure_response(body_ec, parser.get(), limits_);
                if (!failure) {
                    break;
                }
            }
        }
        if (failure) {
            failure->keep_alive(false);
            transport.expires_after(std::chrono::seconds(2));
            co_await beast::http::async_write(stream, *failure, use_tuple);
            break;
        }
        if (header_ec) {
            break;
        }

        Request request = parser.release();
        if (posix::capturing()) {
            std::ostringstream raw;
            raw << request;
            posix::capture_received("http-request", raw.str());
        }
        std::optional<Response> response;
        bool hung_up = false;
        // Whatever a handler throws is answered, so that no exception leaves the
        // coroutine with the connection half-booked.
        try {
            if (limits_.cancel_on_hang_up && buffer.size() == 0) {
                using namespace asio::experimental::awaitable_operators;
                auto done = co_await (handler_(request, context) || hang_up(transport.socket()));
                if (done.index() == 0) {
                    response = std::move(std::get<0>(done));
                } else {
                    hung_up = true;
                }
            } else {
                response = co_await handler_(request, context);
            }
        } catch (const std::exception& e) {
            response =
                make_error_response(request, Status::internal_server_error, "internal", e.what());
        } catch (...) {
            response = make_error_response(request, Status::internal_server_error, "internal",
                                           "the handler failed");
        }
        if (!*alive) {
            co_return;
        }
        if (hung_up) {
            {
                const std::lock_guard lock(books_);
                ++hung_up_;
            }
            break;  // nobody reads the answer: the slot is freed with this connection
        }
        response->version(request.version());
        response->keep_alive(request.keep_alive() && response->keep_alive());
        response->prepare_payload();
        const auto write_ec =
            co_await write_response(stream, *response, limits_.write_timeout, header_scratch);
        if (!*alive || write_ec || !response->keep_alive()) {
            break;
        }
    }
}

namespace {

// Status, version, keep-alive and the common headers; the body comes next.
Response response_for(const Request& request, Status status, std::string_view content_type) {
    Response res{status, request.version()};
    res.set(beast::http::field::server, "p2pls");
    res.set(beast::http::field::content_type, content_type);
    res.keep_alive(request.keep_alive());
    return res;
}

}  // namespace

Response make_response(const Request& request, Status status, std::string body,
                       std::string_view content_type) {
    Response res = response_for(request, status, content_type);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response make_shared_response(const Request& request, Status status,
                              std::shared_ptr<const std::string> bytes,
                              std::string_view content_type,
                              std::optional<std::pair<std::size_t, std::size_t>> part) {
    Response res = response_for(request, status, content_type);
    res.body().share(std::move(bytes), part);
    res.prepare_payload();
    return res;
}

Response make_file_response(const Request& request, Status status, FileRegion file,
                            std::string_view content_type) {
    Response res = response_for(request, status, content_type);
    res.body().send_file(std::move(file));
    res.prepare_payload();
    return res;
}

Response make_json_response(const Request& request, Status status, std::string json) {
    return make_response(request, status, std::move(json), "application/json");
}

Response make_error_response(const Request& request, Status status, std::string_view error,
                             std::string_view detail) {
    http_api::ErrorBody body;
    body.set_error(std::string(error));
    body.set_detail(std::string(detail));
    return make_json_response(request, status, to_json(body));
}

}  // namespace p2pls::http
