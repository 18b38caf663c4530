#include "decade-server/http/egress_gate.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace p2pls::decade_server {
namespace asio = boost::asio;

TimePoint steady_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

UnixSeconds unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {
// Burst: 50 ms of traffic, at least one 64 KiB object, so that short gaps between
// responses do not waste the cap and no response waits for more than one refill.
std::uint64_t burst_for(std::uint64_t rate) {
    return std::max<std::uint64_t>(rate / 20, 64 * 1024);
}
}  // namespace

EgressGate::EgressGate(asio::io_context& io, std::uint64_t rate_bytes_per_s)
    : io_(io), scheduler_(rate_bytes_per_s, burst_for(rate_bytes_per_s), steady_now()), wake_(io) {}

asio::awaitable<void> EgressGate::acquire(std::string_view locker, std::uint32_t share,
                                          std::uint64_t bytes) {
    if (scheduler_.unlimited() || bytes == 0) {
        co_return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
    std::uint64_t ticket = 0;
    bool granted = false;
    {
        const std::lock_guard lock(mutex_);
        ticket = scheduler_.enqueue(locker, share, bytes);
        waiters_.emplace(ticket, timer);
        pump_locked();
        granted = !waiters_.contains(ticket);
    }
    if (granted) {
        co_return;
    }
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    // pump() cancels the timer and forgets the waiter when the ticket is granted; a waiter
    // still there was cancelled from outside (its client hung up): its turn is withdrawn,
    // so that the cap is not spent on an answer nobody reads.
    const std::lock_guard lock(mutex_);
    if (waiters_.erase(ticket) > 0) {
        scheduler_.cancel(ticket);
        throw boost::system::system_error(asio::error::operation_aborted);
    }
}

EgressGate::Stats EgressGate::stats() const {
    const std::lock_guard lock(mutex_);
    return Stats{.waiting = scheduler_.waiting(), .granted_bytes = scheduler_.granted_bytes()};
}

void EgressGate::pump() {
    const std::lock_guard lock(mutex_);
    pump_locked();
}

void EgressGate::pump_locked() {
    const TimePoint now = steady_now();
    for (const auto ticket : scheduler_.poll(now)) {
        const auto it = waiters_.find(ticket);
        if (it != waiters_.end()) {
            it->second->cancel();
            waiters_.erase(it);
        }
    }
    const auto next = scheduler_.next_wakeup(now);
    if (!next || armed_) {
        return;
    }
    armed_ = true;
    wake_.expires_after(*next - now);
    wake_.async_wait([this](const boost::system::error_code&) {
        armed_ = false;
        pump();
    });
}

}  // namespace p2pls::decade_server
