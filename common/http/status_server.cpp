#include "common/http/status_server.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace p2pls::http {

std::unique_ptr<HttpServer> start_status_server(boost::asio::io_context& io, std::uint16_t port,
                                                StatusPages pages) {
    namespace asio = boost::asio;
    auto server = std::make_unique<HttpServer>(
        io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ServerLimits{},
        [pages = std::move(pages)](Request& req,
                                   const RequestContext&) -> asio::awaitable<Response> {
            if (req.target() == "/stats") {
                co_return make_json_response(req, Status::ok, pages.stats());
            }
            if (req.target() == "/metrics") {
                co_return make_response(req, Status::ok, pages.metrics(),
                                        "text/plain; version=0.0.4");
            }
            co_return make_error_response(req, Status::not_found, "not_found",
                                          "try /stats or /metrics");
        });
    server->start();
    return server;
}

}  // namespace p2pls::http
