// The DECADE module's client (draft §3 "DECADE Client API"; DESIGN.md §3): get, put,
// remove, refresh, status, batch and remote_get against DECADE servers, and generate_token
// (local, no round trip). Results are delivered on the caller's io_context as coroutines.
//
// Connection slots (draft §4.2.1): at most `slots_per_server` (m) connections to any one
// server, so at most m requests in progress there (what the server's slot cap counts);
// more concurrent calls queue for a free connection. The keep-alive pool holds at most m
// connections in all. get_many() packs many gets into at most m batch requests so that
// the slots are used fully.
//
// A call never throws for a network or server problem: every reply carries a CallStatus.
// A 503 from a server whose slots are full is "busy, retry after N s" (status.busy()),
// not a failure of the caller.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/errc.hpp"
#include "common/core/link_delay.hpp"
#include "decade-module/core/batching.hpp"
#include "decade-module/core/call_status.hpp"
#include "decade-module/core/token.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::curl {
class HttpClient;
}

namespace p2pls::decade {

struct GetReply {
    CallStatus status;
    std::string data;  // the object, when status.ok()
};

struct StatusReply {
    CallStatus status;
    decade_api::LockerStatus locker;
};

struct BatchReply {
    CallStatus status;                   // of the batch request as a whole
    decade_api::BatchResponse response;  // one result per operation, in order
};

// One object to fetch with get_many().
struct GetSpec {
    std::string locker;
    std::string name;
    std::string token;
};

struct ClientConfig {
    std::size_t slots_per_server = 4;  // m; at most the server's --slots
    // Source address of connections ("127.0.0.5"), so that on one machine every peer is
    // its own client to the server's per-client slot cap. Empty: the system's choice.
    std::string local_address;
    // CA certificates (PEM) that https:// servers must chain to; empty: the system's.
    std::string ca_file;
    std::string client_id;  // sent as X-Decade-Client (for grantee-bound tokens)
    std::chrono::milliseconds timeout{10'000};  // whole call, including queueing
    std::chrono::milliseconds connect_timeout{3'000};
    std::size_t max_response_bytes = 64 * 1024 * 1024;
    std::size_t max_ops_per_batch = 32;  // get_many(): operations per batch request
    LinkDelays link_delays{};            // curl::ClientOptions::link_delays
};

class DecadeClient {
  public:
    explicit DecadeClient(boost::asio::io_context& io, ClientConfig config = {});
    ~DecadeClient();

    DecadeClient(const DecadeClient&) = delete;
    DecadeClient& operator=(const DecadeClient&) = delete;

    // `server` is a base URL, "http://127.0.0.1:8300".
    boost::asio::awaitable<GetReply> get(std::string server, std::string locker, std::string name,
                                         std::string token);
    boost::asio::awaitable<CallStatus> put(std::string server, std::string locker, std::string name,
                                           std::string data, std::uint32_t ttl_s,
                                           std::string token);
    boost::asio::awaitable<CallStatus> remove(std::string server, std::string locker,
                                              std::string name, std::string token);
    // Refresh_Object: the stored object's expiry becomes now + ttl_s.
    boost::asio::awaitable<CallStatus> refresh(std::string server, std::string locker,
                                               std::string name, std::uint32_t ttl_s,
                                               std::string token);
    boost::asio::awaitable<StatusReply> status(std::string server, std::string locker,
                                               std::string token);
    // Remote Get: `server` (the asker's own) fetches op.remote_* into op.locker.
    boost::asio::awaitable<GetReply> remote_get(std::string server, decade_api::RemoteGetOp op);
    boost::asio::awaitable<BatchReply> batch(std::string server, decade_api::BatchRequest batch);

    // Many gets from one server in at most m concurrent batch requests; one reply per
    // spec, in order. A batch that fails as a whole gives its status to each of its gets.
    boost::asio::awaitable<std::vector<GetReply>> get_many(std::string server,
                                                           std::vector<GetSpec> specs);

    // Generate_Token: local, no round trip.
    static Result<std::string> generate_token(const LockerSecret& secret,
                                              const TokenClaims& claims);

    // Ends every call in flight (each completes with Errc::unavailable).
    void cancel_all();
    [[nodiscard]] std::size_t in_flight() const noexcept;
    [[nodiscard]] const ClientConfig& config() const noexcept { return config_; }

  private:
    struct Raw;
    boost::asio::awaitable<Raw> call(std::string server, Result<struct RequestSpec> spec);

    boost::asio::io_context& io_;
    ClientConfig config_;
    std::unique_ptr<curl::HttpClient> http_;
};

}  // namespace p2pls::decade
