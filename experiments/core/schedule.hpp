// The test controller's timetable (the draft's §7.2.5): when each peer starts and stops.
// Deterministic: the same scenario and seed give the same schedule, and both modes of a
// run use the same one, so native and DECADE see the same arrivals and departures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/core/scenario.hpp"

namespace p2pls::experiments {

// SplitMix64-seeded xoshiro256** — our own small generator so that a schedule is the
// same with every standard library (std:: distributions are implementation-defined).
class Rng {
  public:
    explicit Rng(std::uint64_t seed);
    std::uint64_t next();
    double uniform();                 // [0, 1)
    double exponential(double rate);  // mean 1 / rate

  private:
    std::uint64_t s_[4]{};
};

struct PeerEvent {
    enum class Kind { start, stop };
    double at_s = 0;
    Kind kind = Kind::start;
    std::uint32_t peer = 0;     // 0 .. N-1
    std::uint32_t session = 0;  // 0 for the first join, +1 per rejoin
    bool graceful = true;       // stop only: SIGTERM (true) or SIGKILL

    bool operator==(const PeerEvent&) const = default;
};

// Every start and stop inside [0, duration), sorted by time (ties: stops first, then by
// peer). Peers still online at the end are stopped by the teardown, not by an event.
std::vector<PeerEvent> make_schedule(const Scenario& scenario);

// Peer i's region index into scenario.regions (0 when there are none): region sizes
// follow the shares as closely as whole peers allow (weighted round robin), and which peer
// lands where is shuffled by the seed, so that each seed pairs arrival times and regions
// differently.
std::vector<std::size_t> assign_regions(const Scenario& scenario);

// Peer i's nearest DECADE server (index into scenario.decade_servers): a server of its
// region, spread round robin over that region's servers.
std::vector<std::size_t> assign_servers(const Scenario& scenario,
                                        const std::vector<std::size_t>& regions);

}  // namespace p2pls::experiments
