// A deterministic discrete-event simulator: a virtual clock and an event queue
// (DESIGN.md §7). Events at the same instant run in the order they were scheduled, and
// all randomness comes from one seeded generator, so a run is a function of its seed.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "common/core/time.hpp"

namespace p2pls::netsim {

class Simulator {
  public:
    explicit Simulator(std::uint64_t seed, TimePoint start = TimePoint{} + std::chrono::hours(1));

    [[nodiscard]] TimePoint now() const noexcept { return now_; }
    std::mt19937_64& rng() noexcept { return rng_; }

    // Runs fn at time t (now, if t is in the past).
    void at(TimePoint t, std::function<void()> fn);
    void after(Duration d, std::function<void()> fn) { at(now_ + d, std::move(fn)); }

    // Runs the earliest event; false when the queue is empty.
    bool step();

    // Runs events until pred() holds (checked after each event) or the clock would pass
    // `deadline`; the clock ends at the time pred() first held, or at `deadline`.
    // Returns pred() at the end.
    bool run_until(const std::function<bool()>& pred, TimePoint deadline);
    // Runs every event up to now + d, and leaves the clock there.
    void run_for(Duration d);

    [[nodiscard]] std::uint64_t events_run() const noexcept { return events_run_; }
    [[nodiscard]] std::size_t pending() const noexcept { return queue_.size(); }

  private:
    // The heap holds small keys; the callbacks wait in a slab, so that reordering the
    // heap moves 24 bytes per step rather than a std::function.
    struct Event {
        TimePoint at;
        std::uint64_t order;
        std::uint32_t slot;  // index into fns_
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const {
            return a.at != b.at ? a.at > b.at : a.order > b.order;
        }
    };

    TimePoint now_;
    std::mt19937_64 rng_;
    std::uint64_t next_order_ = 0;
    std::uint64_t events_run_ = 0;
    std::vector<Event> queue_;  // a heap under Later: the earliest event at front()
    std::vector<std::function<void()>> fns_;
    std::vector<std::uint32_t> free_slots_;
};

}  // namespace p2pls::netsim
