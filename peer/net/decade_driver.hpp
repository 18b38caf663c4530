// DECADE mode for the networked peer: performs the engine's DecadeFetch and
// DecadePut actions against real DECADE servers with the DECADE module's client
// (decade-module/curl/decade_client.hpp), at most m connections to the home server, and
// registers the peer's locker (POST /v1/lockers). Owned by PeerNode; every call on the
// io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/core/errc.hpp"
#include "decade-module/curl/decade_client.hpp"
#include "peer/core/actions.hpp"

namespace p2pls::curl {
class HttpClient;
}

namespace p2pls::net {

struct RegisteredLocker {
    std::string id;
    std::array<unsigned char, 32> secret{};
};

// The outcome of a locker registration: the locker, or the server's answer in words
// ("HTTP 503 busy: request limit per client reached; retry after 1 s", or the transport
// error when there was no answer) for the log, the status line and /stats.
struct LockerRegistration {
    std::optional<RegisteredLocker> locker;
    std::string refusal;
    std::chrono::seconds retry_after{0};  // the server's Retry-After on a 503
};

class DecadeDriver {
  public:
    DecadeDriver(boost::asio::io_context& io, decade::ClientConfig config);
    ~DecadeDriver();

    // POST /v1/lockers on `server` (a dev-open server, or `operator_key` as Bearer).
    boost::asio::awaitable<LockerRegistration> register_locker(std::string server,
                                                               std::string operator_key);
    // One op: Remote Get; several: one batch of remote_get ops. Never throws.
    boost::asio::awaitable<peer::DecadeResult> fetch(std::string home, peer::DecadeFetch f);
    boost::asio::awaitable<peer::DecadeResult> put(std::string home, std::string locker,
                                                   peer::DecadePut p);

    void cancel_all();

  private:
    boost::asio::io_context& io_;
    decade::DecadeClient client_;
    std::unique_ptr<curl::HttpClient> http_;  // for locker registration only
};

}  // namespace p2pls::net
