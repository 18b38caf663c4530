// The loopback status port of a role with no HTTP API of its own (p2pls-peer --http,
// p2pls-source --http): GET /stats (JSON) and GET /metrics (Prometheus text) on
// 127.0.0.1, anything else a 404 that names them. The role's own API servers (tracker,
// DECADE server) route /metrics themselves.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/http/http_server.hpp"

namespace p2pls::http {

struct StatusPages {
    std::function<std::string()> stats;    // a JSON object
    std::function<std::string()> metrics;  // text exposition format 0.0.4
};

// Bound and started on 127.0.0.1:`port` (0: any free port, see local_endpoint()).
// Throws boost::system::system_error when it cannot bind.
[[nodiscard]] std::unique_ptr<HttpServer> start_status_server(boost::asio::io_context& io,
                                                              std::uint16_t port,
                                                              StatusPages pages);

}  // namespace p2pls::http
