// An HTTP/1.1 server on Boost.Beast shared by every role that serves HTTP (tracker,
// DECADE server, peer stats, player output). Each connection is one coroutine: read a
// request, await the role's handler, write the response, repeat while keep-alive.
//
// Resource control lives here, once: header and body size caps, a timeout for reading
// a request and for idle keep-alive connections, a global connection cap and a cap per
// client address on the requests being processed (the draft's m slots, §4.2.1, limit
// concurrent transfers, as nginx's limit_conn does). An idle keep-alive connection holds
// no slot: many clients behind one address (a NAT, a proxy, a source, a peer and a player
// on one machine) share the m slots by what they are doing, not by what they keep open.
// When every connection is taken, the oldest idle keep-alive connections are closed to
// make room; a new connection is refused only when none is idle. Whatever is over a cap
// is answered at once with 503 and Retry-After — never left to stall. A cap on the
// connections per client address keeps one address from taking every connection with
// connections it keeps busy (slow headers) where eviction cannot reach them.
//
// The server runs on one event loop or on several (one thread each): the first accepts
// and hands the connections to the loops in turn, and each serves its own, while the
// books above (connection and slot caps, the idle list) are one set for all loops, under
// one lock held only to count. A connection evicted by another loop is closed on its own
// loop.
//
// Given a TLS context (tls_context.hpp) the server speaks HTTPS only. The handshake has
// its own timeout; until it completes the connection holds no request slot and counts as
// idle, so a client that never finishes it is evicted or timed out like any idle one.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/core/http_path.hpp"
#include "common/http/response_body.hpp"

namespace boost::asio::ssl {
class context;
}

namespace p2pls::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
// Response bodies are owned text or shared immutable bytes (response_body.hpp).
using Response = boost::beast::http::response<ResponseBody>;
using Status = boost::beast::http::status;

struct ServerLimits {
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;
    // Time allowed to receive one whole request once the connection is open or busy.
    std::chrono::milliseconds request_timeout{10'000};
    // Time a keep-alive connection may sit between requests.
    std::chrono::milliseconds idle_timeout{30'000};
    // Time a response may wait for its reader to take more bytes (one that takes nothing
    // for this long is dropped; a slow one that keeps reading gets the whole body).
    std::chrono::milliseconds write_timeout{30'000};
    // Time allowed for a TLS handshake (HTTPS only).
    std::chrono::milliseconds handshake_timeout{10'000};
    std::size_t max_connections = 1024;  // open connections, all clients together
    // Open connections per remote address; 0 = no cap. At it, the address's own oldest
    // idle connection makes room for its new one; when none of its connections is idle
    // the new one is refused, so that one address cannot hold every connection.
    std::size_t max_connections_per_client = 0;
    // Requests being processed per remote address (whole header read, response not yet
    // written); 0 = no cap. Idle keep-alive connections do not count.
    std::size_t max_requests_per_client = 0;
    std::uint32_t busy_retry_after_s = 1;  // Retry-After on a 503 for a full server
    // Cancel a request's handler when its client hangs up before the answer: its slot is
    // freed at once, and whatever the handler waits for (a turn at the egress cap, a
    // fetch that supports cancellation) is withdrawn. Costs a readiness wait per request
    // (not for a pipelined one, whose next bytes are already in).
    bool cancel_on_hang_up = false;
};

struct RequestContext {
    // The address the connection came from (for HTTPS too: TLS does not change it).
    boost::asio::ip::tcp::endpoint remote;
    // The event loop the connection runs on: an index into the loops the server was given.
    std::size_t loop = 0;
};

// Produces the response to one request. Runs on the thread of the connection's loop; an
// exception of any type becomes a 500. The handler may co_await (e.g. a server-to-server fetch).
using Handler = std::function<boost::asio::awaitable<Response>(Request&, const RequestContext&)>;

struct StreamedBodies;  // body_stream.hpp

class HttpServer {
  public:
    // Binds and listens at once (throws boost::system::system_error when it cannot:
    // a start-up failure). Port 0 picks a free port; see local_endpoint(). With `tls`
    // (make_server_tls_context) every connection is HTTPS. Ignores SIGPIPE for the whole
    // process (file bodies go out with sendfile(2), which cannot be told not to raise it).
    HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
               ServerLimits limits, Handler handler,
               std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    // The same on several loops, each run by its own thread (at least one: loops.at(0)).
    HttpServer(std::vector<boost::asio::io_context*> loops,
               const boost::asio::ip::tcp::endpoint& listen, ServerLimits limits, Handler handler,
               std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    ~HttpServer();

    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

    // Before start(): requests whose header `streamed.cap` picks go to `streamed.handler`
    // with their body as a stream (body_stream.hpp) instead of whole to the Handler.
    void stream_bodies(StreamedBodies streamed);

    // Starts accepting. Connections are served until stop().
    void start();
    // Stops accepting and closes every open connection (from any thread). The server must
    // outlive the loops' run() (or the coroutines it started), as usual with Asio.
    void stop();

    [[nodiscard]] std::size_t loops() const noexcept { return loops_.size(); }
    [[nodiscard]] std::size_t open_connections() const;
    // Requests being processed now, all clients together.
    [[nodiscard]] std::size_t active_requests() const;
    // Connections and requests answered with 503 because a cap was reached.
    [[nodiscard]] std::uint64_t refused_connections() const;
    // Requests whose client hung up before the answer (ServerLimits::cancel_on_hang_up).
    [[nodiscard]] std::uint64_t hung_up_requests() const;
    // Idle keep-alive connections closed to make room for a new connection.
    [[nodiscard]] std::uint64_t evicted_connections() const;
    // Client addresses the server keeps books for: those with a connection open.
    [[nodiscard]] std::size_t tracked_clients() const;
    // Connections admitted on each loop since the start (how the kernel spread them).
    [[nodiscard]] std::vector<std::uint64_t> admitted_per_loop() const;
    [[nodiscard]] bool serves_tls() const noexcept { return tls_ != nullptr; }
    [[nodiscard]] const ServerLimits& limits() const noexcept { return limits_; }

  private:
    // What the server knows of one open connection. `idle` is its place in idle_ while it
    // waits, between requests, for the first byte of the next one.
    struct Session {
        boost::asio::ip::tcp::socket* socket = nullptr;  // null until its coroutine runs
        std::size_t loop = 0;                            // the only thread that touches it
        boost::asio::ip::address client{};
        std::optional<std::list<std::uint64_t>::iterator> idle{};
        bool evicted = false;
    };
    // What a client address has open. The entry exists only while connections > 0.
    struct ClientBooks {
        std::size_t connections = 0;
        std::size_t evicting = 0;  // of its connections, those closed and not yet ended
        std::size_t requests = 0;
    };
    class Connection;
    class RequestSlot;

    boost::asio::awaitable<void> accept_loop();
    template <class Stream>
    boost::asio::awaitable<void> serve(std::unique_ptr<Connection> connection, Stream stream);
    template <class Stream>
    boost::asio::awaitable<void> serve_requests(Connection& connection, Stream& stream);
    boost::asio::awaitable<void> refuse(boost::asio::ip::tcp::socket socket, std::string why);
    // Books a connection just accepted from `remote` on `loop` when the caps allow it
    // (evicting an idle one to make room where they say so), in one hold of the books so
    // that no other loop takes the room in between; null with `why` set for a refusal.
    std::unique_ptr<Connection> admit(const boost::asio::ip::tcp::endpoint& remote,
                                      std::size_t loop, std::string_view& why);
    // Closes the connection idle the longest (of `client` only, when given); false when
    // none is idle. Books held.
    bool evict_oldest_idle(const std::optional<boost::asio::ip::address>& client = std::nullopt);
    // Cancels and shuts down a session's socket on the session's own loop. Books held.
    void close_session(std::uint64_t id, const Session& session);
    [[nodiscard]] bool on_loop(std::size_t loop) const;
    void mark_idle(std::uint64_t id);
    void mark_busy(std::uint64_t id);
    void mark_busy_locked(std::uint64_t id);

    std::vector<boost::asio::io_context*> loops_;
    boost::asio::ip::tcp::acceptor acceptor_;  // on the first loop
    ServerLimits limits_;
    Handler handler_;
    std::unique_ptr<StreamedBodies> streamed_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    // Guards every member below but stopped_ (the books of all loops together).
    mutable std::mutex books_;
    std::size_t open_ = 0;
    std::size_t evicting_ = 0;  // evicted connections whose coroutine has not ended yet
    std::size_t active_ = 0;
    std::size_t refusing_ = 0;
    std::uint64_t refused_ = 0;
    std::uint64_t hung_up_ = 0;
    std::uint64_t evicted_ = 0;
    std::uint64_t next_session_ = 0;
    std::vector<std::uint64_t> admitted_;  // per loop
    std::atomic<bool> stopped_ = false;
    std::map<boost::asio::ip::address, ClientBooks> clients_;
    std::unordered_map<std::uint64_t, Session> sessions_;
    std::list<std::uint64_t> idle_;  // idle connections, the longest idle first
    // Nodes of idle_ that busy connections gave back, reused by the next mark_idle (at
    // most one per open connection).
    std::list<std::uint64_t> spare_idle_;
    std::shared_ptr<bool> alive_;  // lets coroutines notice that the server is gone
};

// --- building responses -------------------------------------------------------------

// A response with the request's HTTP version and keep-alive, and Content-Length set.
Response make_response(const Request& request, Status status, std::string body,
                       std::string_view content_type);
// The same, with `bytes` shared instead of copied (they must not change until the
// response is written; a null pointer is an empty body); `part` (offset, length): only
// those of them.
Response make_shared_response(const Request& request, Status status,
                              std::shared_ptr<const std::string> bytes,
                              std::string_view content_type,
                              std::optional<std::pair<std::size_t, std::size_t>> part = {});
// The same, with the body sent from `file` (sendfile(2) on a plain connection).
Response make_file_response(const Request& request, Status status, FileRegion file,
                            std::string_view content_type);
Response make_json_response(const Request& request, Status status, std::string json);
// {"error": <code>, "detail": <detail>} (http_api::ErrorBody) with the given status.
Response make_error_response(const Request& request, Status status, std::string_view error,
                             std::string_view detail);

}  // namespace p2pls::http
