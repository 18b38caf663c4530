#include "decade-server/core/egress.hpp"

#include <algorithm>
#include <limits>

namespace p2pls::decade_server {
namespace {

// Virtual-time cost of a send: bytes scaled by 1/share, in 1/1024-byte units so that
// shares up to 1024 stay distinct.
std::uint64_t cost(std::uint64_t bytes, std::uint32_t share) {
    const std::uint64_t scaled = bytes > std::numeric_limits<std::uint64_t>::max() / 1024
                                     ? std::numeric_limits<std::uint64_t>::max() / 2
                                     : bytes * 1024;
    return std::max<std::uint64_t>(scaled / std::max<std::uint32_t>(share, 1), 1);
}

}  // namespace

EgressScheduler::EgressScheduler(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes,
                                 TimePoint now)
    : bucket_(rate_bytes_per_s, burst_bytes, now) {}

std::uint64_t EgressScheduler::enqueue(std::string_view locker, std::uint32_t share,
                                       std::uint64_t bytes) {
    auto it = flows_.find(locker);
    if (it == flows_.end()) {
        it = flows_.emplace(std::string(locker), Flow{}).first;
    }
    Flow& flow = it->second;
    // An idle flow restarts at the current virtual time: no credit for having been idle.
    const std::uint64_t start = std::max(virtual_time_, flow.last_finish);
    const std::uint64_t finish = start + cost(bytes, share);
    flow.last_finish = finish;
    const std::uint64_t ticket = next_ticket_++;
    flow.queue.push_back({ticket, bytes, start, finish});
    ++waiting_;
    return ticket;
}

std::vector<std::uint64_t> EgressScheduler::poll(TimePoint now) {
    std::vector<std::uint64_t> granted;
    while (waiting_ > 0 && (bucket_.unlimited() || bucket_.available(now) > 0)) {
        Flow* best = nullptr;
        std::string_view best_name;
        for (auto& [name, flow] : flows_) {
            if (!flow.queue.empty() &&
                (best == nullptr || flow.queue.front().start_tag < best->queue.front().start_tag)) {
                best = &flow;
                best_name = name;
            }
        }
        const Pending p = best->queue.front();
        best->queue.pop_front();
        --waiting_;
        virtual_time_ = std::max(virtual_time_, p.start_tag);
        bucket_.consume(p.bytes, now);
        auto g = granted_.find(best_name);
        if (g == granted_.end()) {
            g = granted_.emplace(std::string(best_name), 0).first;
        }
        g->second += p.bytes;
        granted.push_back(p.ticket);
    }
    // Forget idle flows so that the map holds active lockers only.
    for (auto it = flows_.begin(); it != flows_.end();) {
        if (it->second.queue.empty() && it->second.last_finish <= virtual_time_) {
            it = flows_.erase(it);
        } else {
            ++it;
        }
    }
    return granted;
}

void EgressScheduler::cancel(std::uint64_t ticket) {
    for (auto& [name, flow] : flows_) {
        const auto it = std::find_if(flow.queue.begin(), flow.queue.end(),
                                     [&](const Pending& p) { return p.ticket == ticket; });
        if (it != flow.queue.end()) {
            flow.queue.erase(it);
            --waiting_;
            return;
        }
    }
}

std::optional<TimePoint> EgressScheduler::next_wakeup(TimePoint now) const {
    if (waiting_ == 0) {
        return std::nullopt;
    }
    return now + bucket_.wait_for(1, now);
}

}  // namespace p2pls::decade_server
