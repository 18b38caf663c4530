// The Asio side of the egress cap: responses await a grant from the core's
// EgressScheduler before their bytes are written. One timer re-arms at the scheduler's
// next wakeup; nothing runs while no response waits. It runs on one event loop (a
// server with several loops sends its turns there); only stats() may be read from any.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "decade-server/core/egress.hpp"

namespace p2pls::decade_server {

TimePoint steady_now();
UnixSeconds unix_now();

class EgressGate {
  public:
    // rate_bytes_per_s == 0: no cap.
    EgressGate(boost::asio::io_context& io, std::uint64_t rate_bytes_per_s);

    // Completes when `bytes` for `locker` may be sent. Cancelled (the coroutine's
    // cancellation slot) before the grant, it withdraws the request and throws
    // operation_aborted.
    boost::asio::awaitable<void> acquire(std::string_view locker, std::uint32_t share,
                                         std::uint64_t bytes);

    struct Stats {
        std::size_t waiting = 0;  // responses waiting for their turn
        std::map<std::string, std::uint64_t, std::less<>> granted_bytes;  // per locker
    };
    [[nodiscard]] Stats stats() const;

  private:
    void pump();
    void pump_locked();

    boost::asio::io_context& io_;
    mutable std::mutex mutex_;  // the scheduler, against stats() from another thread
    EgressScheduler scheduler_;
    boost::asio::steady_timer wake_;
    bool armed_ = false;
    std::map<std::uint64_t, std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace p2pls::decade_server
