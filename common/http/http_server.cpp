#include "common/http/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>

#include "common/core/proto_json.hpp"
#include "p2pls/http.pb.h"

namespace p2pls::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

// Refusals are written by short-lived coroutines; past this many at once the server
// just closes new connections, so that a flood cannot make it queue refusal work.
constexpr std::size_t kMaxRefusalsInFlight = 64;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& listen, ServerLimits limits,
                       Handler handler)
    : io_(io),
      acceptor_(io),
      limits_(limits),
      handler_(std::move(handler)),
      alive_(std::make_shared<bool>(true)) {
    acceptor_.open(listen.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(listen);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

HttpServer::~HttpServer() {
    *alive_ = false;
    stop();
}

tcp::endpoint HttpServer::local_endpoint() const {
    return acceptor_.local_endpoint();
}

void HttpServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void HttpServer::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, socket] : sessions_) {
        socket->cancel(ignored);
        socket->shutdown(tcp::socket::shutdown_both, ignored);
    }
}

asio::awaitable<void> HttpServer::accept_loop() {
    const auto alive = alive_;
    while (*alive && !stopped_) {
        // The peer's address comes with the accept (no getpeername per connection).
        tcp::endpoint remote;
        auto [ec, socket] = co_await acceptor_.async_accept(remote, use_tuple);
        if (!*alive || stopped_) {
            co_return;
        }
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                co_return;
            }
            continue;  // e.g. EMFILE: keep serving the connections we have
        }
        const bool over_global = open_ >= limits_.max_connections;
        const bool over_client =
            limits_.max_connections_per_client != 0 &&
            per_client_[remote.address()] >= limits_.max_connections_per_client;
        if (over_global || over_client) {
            ++refused_;
            if (refusing_ < kMaxRefusalsInFlight) {
                asio::co_spawn(io_, refuse(std::move(socket)), asio::detached);
            }
            continue;
        }
        asio::co_spawn(io_, serve(std::move(socket), remote), asio::detached);
    }
}

asio::awaitable<void> HttpServer::refuse(tcp::socket socket) {
    ++refusing_;
    const auto alive = alive_;
    Response res{Status::service_unavailable, 11};
    res.set(beast::http::field::retry_after, std::to_string(limits_.busy_retry_after_s));
    res.set(beast::http::field::content_type, "application/json");
    http_api::ErrorBody body;
    body.set_error("busy");
    body.set_detail("connection limit reached; retry after " +
                    std::to_string(limits_.busy_retry_after_s) + " s");
    res.body() = to_json(body);
    res.keep_alive(false);
    res.prepare_payload();
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    co_await beast::http::async_write(stream, res, use_tuple);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (*alive) {
        --refusing_;
    }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket, tcp::endpoint remote) {
    const auto alive = alive_;
    const std::uint64_t id = next_session_++;
    const RequestContext context{remote};
    ++open_;
    ++per_client_[context.remote.address()];

    beast::tcp_stream stream(std::move(socket));
    sessions_.emplace(id, &stream.socket());
    beast::flat_buffer buffer;
    bool first = true;

    while (*alive && !stopped_) {
        beast::http::request_parser<beast::http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
        parser.body_limit(limits_.max_body_bytes);
        stream.expires_after(first ? limits_.request_timeout : limits_.idle_timeout);
        first = false;
        auto [read_ec, n] = co_await beast::http::async_read(stream, buffer, parser, use_tuple);
        if (!*alive) {
            co_return;
        }
        if (read_ec) {
            // Answer what can be answered; a timeout or a closed connection gets nothing.
            std::optional<Response> error;
            Request partial = parser.get();
            if (read_ec == beast::http::error::body_limit) {
                error = make_error_response(
                    partial, Status::payload_too_large, "body_too_large",
                    "request body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes");
            } else if (read_ec == beast::http::error::header_limit) {
                error = make_error_response(partial, Status::request_header_fields_too_large,
                                            "header_too_large", "request header too large");
            } else if (read_ec.category() ==
                       beast::http::make_error_code(beast::http::error::bad_target).category()) {
                error = make_error_response(partial, Status::bad_request, "bad_http",
                                            read_ec.message());
            }
            if (error) {
                error->keep_alive(false);
                stream.expires_after(std::chrono::seconds(2));
                co_await beast::http::async_write(stream, *error, use_tuple);
            }
            break;
        }

        Request request = parser.release();
        std::optional<Response> response;
        try {
            response = co_await handler_(request, context);
        } catch (const std::exception& e) {
            response =
                make_error_response(request, Status::internal_server_error, "internal", e.what());
        }
        if (!*alive) {
            co_return;
        }
        response->version(request.version());
        response->keep_alive(request.keep_alive() && response->keep_alive());
        response->prepare_payload();
        stream.expires_after(limits_.write_timeout);
        auto [write_ec, written] = co_await beast::http::async_write(stream, *response, use_tuple);
        if (!*alive || write_ec || !response->keep_alive()) {
            break;
        }
    }

    if (!*alive) {
        co_return;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    sessions_.erase(id);
    --open_;
    if (auto it = per_client_.find(context.remote.address()); it != per_client_.end()) {
        if (--it->second == 0) {
            per_client_.erase(it);
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
                              std::string_view content_type) {
    Response res = response_for(request, status, content_type);
    res.body().share(std::move(bytes));
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

std::vector<std::string_view> path_segments(std::string_view target) {
    std::vector<std::string_view> out;
    target = target.substr(0, target.find('?'));
    while (!target.empty()) {
        const auto slash = target.find('/');
        const auto segment = target.substr(0, slash);
        if (!segment.empty()) {
            out.push_back(segment);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        target.remove_prefix(slash + 1);
    }
    return out;
}

std::string_view query_string(std::string_view target) {
    const auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == key) {
            return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

}  // namespace p2pls::http
