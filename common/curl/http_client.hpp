// An asynchronous HTTP client on libcurl, shared by the tracker client and the DECADE
// module. libcurl's multi interface runs on one worker thread per client; results are
// handed back to the caller's io_context with asio::post, so callers stay
// single-threaded (STYLE.md, "Async code").
//
// Connection slots: `max_connections_per_host` bounds the connections to any one server
// (the draft's m slots, §4.2.1); requests beyond it wait inside libcurl for a free
// connection instead of opening another. `max_idle_connections` bounds the keep-alive
// pool, so a client keeps open no more than it uses.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/link_delay.hpp"

namespace p2pls::curl {

struct HttpRequest {
    std::string method = "GET";  // GET, PUT, POST, DELETE, HEAD
    std::string url{};
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};
    std::chrono::milliseconds timeout{10'000};  // whole transfer
    std::chrono::milliseconds connect_timeout{3'000};
    std::size_t max_response_bytes = 64 * 1024 * 1024;  // larger bodies fail the request
};

struct HttpResponse {
    long status = 0;
    std::string body{};
    std::vector<std::pair<std::string, std::string>> headers{};  // names in lower case

    // First header with this (case-insensitive) name.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

struct ClientOptions {
    long max_connections_per_host = 0;  // 0 = libcurl's default (no limit)
    long max_total_connections = 0;     // 0 = no limit
    long max_idle_connections = 0;      // keep-alive pool size; 0 = libcurl's default
    // Source address for outgoing connections, e.g. "127.0.0.5": on one machine each
    // peer can appear to servers as its own client (per-client connection caps).
    std::string local_address{};
    std::string user_agent = "p2pls/0.1";
    // PEM file of the CA certificates that https:// servers must chain to; empty = the
    // system's default store. Certificates and host names are always verified, and
    // TLS 1.2 is the lowest version offered.
    std::string ca_file{};
    // User-space link emulation (the testbed's delay on every path): each request waits
    // the one-way delay towards its URL's host before it is sent, and its answer waits it
    // again before it is delivered, so a call takes one extra round trip.
    LinkDelays link_delays{};
};

class HttpClient {
  public:
    // Failures arrive as errors: Errc::unavailable (could not connect, connection
    // dropped), Errc::timeout, Errc::body_too_large (response over the cap),
    // Errc::tls_certificate_invalid (the server's certificate does not verify),
    // Errc::tls_failed (no TLS session, e.g. https:// to a plain server),
    // asio::error::operation_aborted (cancel_all). Any HTTP status is a response.
    using Callback = std::function<void(Result<HttpResponse>)>;

    explicit HttpClient(boost::asio::io_context& io, ClientOptions options = {});
    // Stops the worker; callbacks of unfinished transfers are never called.
    ~HttpClient();

    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Starts a transfer; `done` runs once, on the io_context's thread.
    void async_request(HttpRequest request, Callback done);

    // The same as a coroutine.
    boost::asio::awaitable<Result<HttpResponse>> request(HttpRequest request);

    // Ends every unfinished transfer with operation_aborted.
    void cancel_all();

    // Transfers started and not yet completed.
    [[nodiscard]] std::size_t in_flight() const noexcept;

  private:
    class Worker;
    struct State;

    boost::asio::io_context& io_;
    // Shared with completions posted to io_, so that one arriving after the client is
    // gone does nothing.
    std::shared_ptr<State> state_;
    LinkDelays link_delays_;
    std::unique_ptr<Worker> worker_;
};

}  // namespace p2pls::curl
