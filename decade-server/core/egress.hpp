// Fair sharing of the server's egress cap among active lockers (DESIGN.md §3): an operator
// caps what the server sends, and no one locker's readers may starve the others.
//
// One shared token bucket holds the cap. Each response asks for a grant of its body size;
// grants go out while the bucket is not in debt, and a grant takes its whole size at once
// (the bucket may go into debt, which later refills repay), so a saturating load gets the
// full rate whatever the object size. Among lockers with waiting responses, grants follow
// start-time fair queuing weighted by each locker's bandwidth share: a locker with share 2
// gets twice the bytes of a locker with share 1 while both are busy, and an idle locker
// banks nothing.
//
// Driven by passed-in time; the adapter calls poll(now) when next_wakeup() says.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/time.hpp"
#include "common/core/token_bucket.hpp"

namespace p2pls::decade_server {

class EgressScheduler {
  public:
    // rate_bytes_per_s == 0: unlimited, every request is granted at once.
    EgressScheduler(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes, TimePoint now);

    [[nodiscard]] bool unlimited() const noexcept { return bucket_.unlimited(); }

    // Queues a response of `bytes` for `locker` (weight `share`, at least 1). Returns a
    // ticket; poll() names it once granted.
    std::uint64_t enqueue(std::string_view locker, std::uint32_t share, std::uint64_t bytes);

    // Grants at `now`, oldest virtual start first.
    std::vector<std::uint64_t> poll(TimePoint now);

    // Withdraws a ticket not yet granted (its client went away). Unknown tickets: no-op.
    void cancel(std::uint64_t ticket);

    // When poll() can grant again; nullopt when nothing waits.
    [[nodiscard]] std::optional<TimePoint> next_wakeup(TimePoint now) const;

    [[nodiscard]] std::size_t waiting() const noexcept { return waiting_; }
    // Bytes granted so far per locker.
    [[nodiscard]] const std::map<std::string, std::uint64_t, std::less<>>& granted_bytes() const {
        return granted_;
    }

  private:
    struct Pending {
        std::uint64_t ticket;
        std::uint64_t bytes;
        std::uint64_t start_tag;
        std::uint64_t finish_tag;
    };
    struct Flow {
        std::deque<Pending> queue;
        std::uint64_t last_finish = 0;
    };

    TokenBucket bucket_;
    std::map<std::string, Flow, std::less<>> flows_;
    std::map<std::string, std::uint64_t, std::less<>> granted_;
    std::uint64_t virtual_time_ = 0;
    std::uint64_t next_ticket_ = 1;
    std::size_t waiting_ = 0;
};

}  // namespace p2pls::decade_server
