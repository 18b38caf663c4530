// The DECADE server's HTTP face (DESIGN.md §3 "DECADE"): a read-handle-write loop around
// the pure decade-server/core/api.hpp. It converts Beast requests and responses, performs
// the effects the core asks for — Remote Get's server-to-server fetches (libcurl) and the
// egress cap on object bytes — and sweeps expired objects every second. The routes and
// their errors are listed in api.hpp.
//
// With several event loops (--threads), requests run on the loop of their connection and
// take the core under one lock for the core's own steps only (it never blocks on the
// network). Everything else that is shared lives on the home loop, the first, exactly as
// with one: the egress queue (so that lockers share the cap by weight, whichever loop
// their requests came in on), the server-to-server fetches and their sharing, the sweep.
// A request hops there for a turn or a fetch and comes back to write its answer.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/link_delay.hpp"
#include "common/curl/http_client.hpp"
#include "common/http/http_server.hpp"
#include "decade-server/core/api.hpp"
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
    // Proxies whose X-Decade-Client names the real client (canonical IP addresses).
    std::vector<std::string> trusted_proxies;
    std::string ca_file;  // CA certificates for https:// peer servers ("" = system's)
    // Link emulation of server-to-server fetches (curl::ClientOptions::link_delays).
    LinkDelays link_delays;
};

// An address as the core compares it: the canonical text, with an IPv4-mapped IPv6 address
// (a v4 client of a dual-stack listener) written as plain IPv4. nullopt when `text` is not
// an IP address.
std::optional<std::string> canonical_address(std::string_view text);

class DecadeService {
  public:
    DecadeService(boost::asio::io_context& io, ServerCore& core, ServiceOptions options);
    // The same on several loops; the first is the home loop.
    DecadeService(std::vector<boost::asio::io_context*> loops, ServerCore& core,
                  ServiceOptions options);

    // The handler to give the HttpServer.
    boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                  const http::RequestContext& context);

    // Starts the TTL sweep timer.
    void start();
    // On the home loop.
    void stop();

    // Lets /metrics include the HTTP server's connection figures.
    void attach(const http::HttpServer* server) { server_ = server; }

  private:
    // GET of another server's object for a Remote Get. Askers of the same GET with the
    // same token while it is in flight share it: one copy crosses the WAN, however many
    // peers of this server asked for it in the same second.
    boost::asio::awaitable<FetchOutcome> fetch(const RemoteFetch& fetch);
    boost::asio::awaitable<FetchOutcome> fetch_once(const RemoteFetch& fetch);
    // fetch() and the core's use of what it brought, both on the home loop. An asker
    // that resumed on its own loop would store its copy only after fly() forgot the
    // flight, and a Remote Get arriving in that gap would find neither the flight nor
    // the copy, and fetch the object across again.
    boost::asio::awaitable<ApiStep> fetch_and_resume(FetchAndResume pending);
    // `work` run on the home loop; the caller resumes on its own.
    template <class T>
    boost::asio::awaitable<T> at_home(boost::asio::awaitable<T> work);
    struct Flight;
    boost::asio::awaitable<void> fly(std::shared_ptr<Flight> flight, RemoteFetch fetch);
    // The transport's gauges, set on the core's registry before /metrics renders.
    void refresh_metrics(MetricsRegistry& metrics);
    void arm_sweep();

    boost::asio::io_context& io_;  // the home loop
    std::size_t loops_ = 1;
    std::mutex core_mutex_;  // the core, for requests on every loop
    ServerCore& core_;
    ServiceOptions options_;
    ApiConfig api_;
    EgressGate egress_;
    curl::HttpClient fetcher_;
    boost::asio::steady_timer sweep_timer_;
    // Fetches in flight by RemoteFetch::key(). A fetch runs on its own, not in the first
    // asker's handler, so that an asker who hangs up does not cancel it for the others.
    std::map<std::string, std::shared_ptr<Flight>> flights_;
    std::atomic<std::uint64_t> joined_fetches_ = 0;
    const http::HttpServer* server_ = nullptr;
    std::atomic<bool> stopped_ = false;
};

}  // namespace p2pls::decade_server
