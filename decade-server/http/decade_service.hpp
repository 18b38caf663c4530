// The DECADE server's HTTP face (DESIGN.md §3 "DECADE"): routes Beast requests to the
// pure ServerCore, performs the server-to-server fetches of Remote Get with the libcurl
// client, paces object bytes through the egress gate, and sweeps expired objects.
//
//   PUT    /v1/lockers/{l}/objects/{name}   Put_Object (X-Decade-TTL: seconds)
//   GET    /v1/lockers/{l}/objects/{name}   Get_Object
//   DELETE /v1/lockers/{l}/objects/{name}   Delete_Object
//   POST   /v1/lockers/{l}/remote-get       Remote Get (body: decade_api::RemoteGetOp)
//   GET    /v1/lockers/{l}/status           Status_Query (JSON; protobuf on Accept)
//   POST   /v1/batch                        BatchRequest -> BatchResponse (protobuf)
//   POST   /v1/lockers                      register a locker (operator key or dev-open)
//   GET    /metrics                         Prometheus text
// Errors are JSON http_api::ErrorBody; no error carries object bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "common/curl/http_client.hpp"
#include "common/http/http_server.hpp"
#include "decade-server/core/server_core.hpp"
#include "decade-server/http/egress_gate.hpp"

namespace p2pls::decade_server {

struct ServiceOptions {
    std::string operator_key;              // Bearer key for POST /v1/lockers; empty = none
    bool dev_open = false;                 // POST /v1/lockers without a key (testbeds only)
    std::uint64_t egress_bytes_per_s = 0;  // 0 = no cap
    std::chrono::milliseconds fetch_timeout{5'000};
    std::size_t max_batch_ops = 256;
    std::size_t max_batch_remote_gets = 16;
    std::uint64_t max_batch_response_bytes = 64ULL << 20;  // object bytes in one answer
    std::chrono::seconds sweep_every{1};
    std::string local_address;  // source address for server-to-server fetches
};

class DecadeService {
  public:
    DecadeService(boost::asio::io_context& io, ServerCore& core, ServiceOptions options);

    // The handler to give the HttpServer.
    boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                  const http::RequestContext& context);

    // Starts the TTL sweep timer.
    void start();
    void stop();

    // Lets /metrics include the HTTP server's connection figures.
    void attach(const http::HttpServer* server) { server_ = server; }

  private:
    boost::asio::awaitable<http::Response> handle_object(http::Request& request,
                                                         const Caller& caller,
                                                         std::string_view locker,
                                                         std::string_view name);
    boost::asio::awaitable<http::Response> handle_remote_get(http::Request& request,
                                                             const Caller& caller,
                                                             std::string_view locker);
    boost::asio::awaitable<http::Response> handle_batch(http::Request& request,
                                                        std::string_view client_id);
    http::Response handle_register(http::Request& request);
    boost::asio::awaitable<OpResult> remote_get(const Caller& caller,
                                                const decade_api::RemoteGetOp& op);
    http::Response respond(const http::Request& request, const OpResult& result);
    std::string metrics_text();
    void arm_sweep();

    boost::asio::io_context& io_;
    ServerCore& core_;
    ServiceOptions options_;
    EgressGate egress_;
    curl::HttpClient fetcher_;
    boost::asio::steady_timer sweep_timer_;
    const http::HttpServer* server_ = nullptr;
    bool stopped_ = false;
};

}  // namespace p2pls::decade_server
