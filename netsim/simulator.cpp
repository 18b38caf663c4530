#include "netsim/simulator.hpp"

#include <algorithm>

namespace p2pls::netsim {

Simulator::Simulator(std::uint64_t seed, TimePoint start) : now_(start), rng_(seed) {}

void Simulator::at(TimePoint t, std::function<void()> fn) {
    std::uint32_t slot = 0;
    if (free_slots_.empty()) {
        slot = static_cast<std::uint32_t>(fns_.size());
        fns_.push_back(std::move(fn));
    } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
        fns_[slot] = std::move(fn);
    }
    queue_.push_back(Event{t < now_ ? now_ : t, next_order_++, slot});
    std::push_heap(queue_.begin(), queue_.end(), Later{});
}

bool Simulator::step() {
    if (queue_.empty()) {
        return false;
    }
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    const Event e = queue_.back();
    queue_.pop_back();
    // Out of the slab before it runs: the callback may schedule more (and grow fns_).
    std::function<void()> fn = std::move(fns_[e.slot]);
    fns_[e.slot] = nullptr;
    free_slots_.push_back(e.slot);
    now_ = e.at;
    ++events_run_;
    fn();
    return true;
}

bool Simulator::run_until(const std::function<bool()>& pred, TimePoint deadline) {
    while (!pred()) {
        if (queue_.empty() || queue_.front().at > deadline) {
            now_ = std::max(now_, deadline);
            return pred();
        }
        step();
    }
    return true;
}

void Simulator::run_for(Duration d) {
    const TimePoint end = now_ + d;
    run_until([] { return false; }, end);
}

}  // namespace p2pls::netsim
