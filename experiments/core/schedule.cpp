#include "experiments/core/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace p2pls::experiments {

namespace {

std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
    for (auto& word : s_) {
        word = splitmix(seed);
    }
}

std::uint64_t Rng::next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Rng::uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::exponential(double rate) {
    return -std::log1p(-uniform()) / rate;
}

namespace {

// `events` holds each peer's events together and in time order (the order make_schedule
// draws them in). A peer online at the mass departure that the draw picks stops there:
// its later events go, and with rejoin_after_s one new session starts that much later.
// The draws come from a generator of their own, one per peer, so that adding a mass
// departure to a scenario leaves its arrivals and churn as they were.
void apply_mass_leave(const Scenario& s, double last_rejoin, std::vector<PeerEvent>& events) {
    const MassLeave& leave = s.mass_leave;
    if (leave.fraction <= 0) {
        return;
    }
    Rng rng(s.seed ^ 0x6d617373'6c656176ULL);  // "massleav"
    std::vector<bool> picked(s.peers);
    for (std::uint32_t peer = 0; peer < s.peers; ++peer) {
        picked[peer] = rng.uniform() < leave.fraction;
    }
    std::vector<PeerEvent> out;
    out.reserve(events.size());
    for (std::size_t i = 0; i < events.size();) {
        std::size_t j = i;
        while (j < events.size() && events[j].peer == events[i].peer) {
            ++j;
        }
        const std::uint32_t peer = events[i].peer;
        std::size_t before = i;  // events at or before the departure
        while (before < j && events[before].at_s <= leave.at_s) {
            ++before;
        }
        const bool online = before > i && events[before - 1].kind == PeerEvent::Kind::start;
        if (!picked[peer] || !online) {
            out.insert(out.end(), events.begin() + static_cast<std::ptrdiff_t>(i),
                       events.begin() + static_cast<std::ptrdiff_t>(j));
        } else {
            out.insert(out.end(), events.begin() + static_cast<std::ptrdiff_t>(i),
                       events.begin() + static_cast<std::ptrdiff_t>(before));
            const std::uint32_t session = events[before - 1].session;
            out.push_back({.at_s = leave.at_s,
                           .kind = PeerEvent::Kind::stop,
                           .peer = peer,
                           .session = session,
                           .graceful = leave.graceful});
            if (leave.rejoin_after_s && leave.at_s + *leave.rejoin_after_s < last_rejoin) {
                out.push_back({.at_s = leave.at_s + *leave.rejoin_after_s,
                               .kind = PeerEvent::Kind::start,
                               .peer = peer,
                               .session = session + 1,
                               .graceful = true});
            }
        }
        i = j;
    }
    events = std::move(out);
}

}  // namespace

std::vector<PeerEvent> make_schedule(const Scenario& s) {
    Rng rng(s.seed);
    std::vector<PeerEvent> events;
    const double end = s.duration_s;
    // A rejoin this close to the end could not start playing: it is not scheduled.
    const double last_rejoin = end - std::min(10.0, end / 4);
    double poisson_clock = 0;
    for (std::uint32_t peer = 0; peer < s.peers; ++peer) {
        double start = 0;
        switch (s.arrival) {
            case Arrival::flash_crowd:
                start = rng.uniform() * s.flash_crowd_s;
                break;
            case Arrival::poisson:
                poisson_clock += rng.exponential(s.poisson_rate_per_s);
                start = poisson_clock;
                break;
            case Arrival::all_at_once:
                start = 0;
                break;
        }
        // Drawn for every peer so that the churn fraction does not shift other draws.
        const bool churns = rng.uniform() < s.churn.fraction;
        if (start >= end) {
            continue;  // a Poisson arrival after the end of the run
        }
        std::uint32_t session = 0;
        events.push_back({.at_s = start,
                          .kind = PeerEvent::Kind::start,
                          .peer = peer,
                          .session = session,
                          .graceful = true});
        if (!churns) {
            continue;
        }
        double t = start;
        while (session < 10'000) {
            t += rng.exponential(1.0 / s.churn.mean_online_s);
            if (t >= end) {
                break;
            }
            events.push_back({.at_s = t,
                              .kind = PeerEvent::Kind::stop,
                              .peer = peer,
                              .session = session,
                              .graceful = s.churn.graceful});
            t += rng.exponential(1.0 / s.churn.mean_offline_s);
            if (t >= last_rejoin) {
                break;
            }
            ++session;
            events.push_back({.at_s = t,
                              .kind = PeerEvent::Kind::start,
                              .peer = peer,
                              .session = session,
                              .graceful = true});
        }
    }
    apply_mass_leave(s, last_rejoin, events);
    std::stable_sort(events.begin(), events.end(), [](const PeerEvent& a, const PeerEvent& b) {
        if (a.at_s != b.at_s) {
            return a.at_s < b.at_s;
        }
        if (a.kind != b.kind) {
            return a.kind == PeerEvent::Kind::stop;
        }
        return a.peer < b.peer;
    });
    return events;
}

std::vector<std::size_t> assign_regions(const Scenario& s) {
    std::vector<std::size_t> out(s.peers, 0);
    if (s.regions.size() <= 1) {
        return out;
    }
    std::vector<std::uint64_t> count(s.regions.size(), 0);
    for (std::uint32_t peer = 0; peer < s.peers; ++peer) {
        std::size_t best = 0;
        double best_load = std::numeric_limits<double>::infinity();
        for (std::size_t r = 0; r < s.regions.size(); ++r) {
            if (s.regions[r].share <= 0) {
                continue;
            }
            const double load = static_cast<double>(count[r] + 1) / s.regions[r].share;
            if (load < best_load) {
                best_load = load;
                best = r;
            }
        }
        out[peer] = best;
        ++count[best];
    }
    // Fisher-Yates with our own generator (a stream apart from the schedule's).
    Rng rng(s.seed ^ 0x9e3779b97f4a7c15ULL);
    for (std::size_t i = out.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(rng.next() % i);
        std::swap(out[i - 1], out[j]);
    }
    return out;
}

std::vector<std::size_t> assign_servers(const Scenario& s,
                                        const std::vector<std::size_t>& regions) {
    std::vector<std::size_t> out(regions.size(), 0);
    if (s.decade_servers.empty()) {
        return out;
    }
    std::vector<std::size_t> turn(std::max<std::size_t>(s.regions.size(), 1), 0);
    for (std::size_t peer = 0; peer < regions.size(); ++peer) {
        const std::string region =
            s.regions.empty() ? std::string() : s.regions.at(regions[peer]).name;
        std::vector<std::size_t> candidates;
        for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
            const auto& name = s.decade_servers[i].region;
            const bool match = s.regions.empty() || name == region;
            if (match) {
                candidates.push_back(i);
            }
        }
        if (candidates.empty()) {
            // validate() rules this out for scenarios with DECADE; fall back to any server.
            out[peer] = peer % s.decade_servers.size();
            continue;
        }
        auto& t = turn[s.regions.empty() ? 0 : regions[peer]];
        out[peer] = candidates[t % candidates.size()];
        ++t;
    }
    return out;
}

}  // namespace p2pls::experiments
