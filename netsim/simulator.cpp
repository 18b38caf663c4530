#include "netsim/simulator.hpp"

#include <algorithm>

namespace p2pls::netsim {

Simulator::Simulator(std::uint64_t seed, TimePoint start) : now_(start), rng_(seed) {}

void Simulator::at(TimePoint t, std::function<void()> fn) {
    queue_.push_back(Event{t < now_ ? now_ : t, next_order_++, std::move(fn)});
    std::push_heap(queue_.begin(), queue_.end(), Later{});
}

bool Simulator::step() {
    if (queue_.empty()) {
        return false;
    }
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    Event e = std::move(queue_.back());
    queue_.pop_back();
    now_ = e.at;
    ++events_run_;
    e.fn();
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
