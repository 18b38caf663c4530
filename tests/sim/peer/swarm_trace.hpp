// A tracer for simulated swarms, for finding out why a run froze or missed. With SIM_TRACE
// set, run() samples every peer every 20 ms of simulated time and records when each
// chunk reached each playing peer; print() then shows, per chunk, the seconds after
// publication until the first peer, half, 90 % and all of them held it, against the
// earliest playback deadline among them. Each freeze is printed as it happens; with
// SIM_TRACE_FREEZE also set, with what every neighbour of that peer held and was asked
// for the chunk it froze on. Without SIM_TRACE, run() just runs the simulator.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>
#include <vector>

#include "netsim/swarm.hpp"

namespace p2pls::netsim {

class SwarmTrace {
  public:
    SwarmTrace(Simulator& sim, Swarm& swarm) : sim_(sim), swarm_(swarm) {}

    void run(Duration d) {
        if (std::getenv("SIM_TRACE") == nullptr) {
            sim_.run_for(d);
            return;
        }
        const TimePoint end = sim_.now() + d;
        while (sim_.now() < end) {
            sim_.run_for(std::chrono::milliseconds(20));
            sample();
        }
    }

    void print() {
        for (auto& [seq, times] : got_) {
            std::sort(times.begin(), times.end());
            const auto at = [&](double q) {
                const auto i = static_cast<std::size_t>(q * static_cast<double>(times.size()));
                return times[std::min(times.size() - 1, i)];
            };
            std::printf("[trace] seq=%llu n=%zu first=%.2f p50=%.2f p90=%.2f last=%.2f due=%.2f\n",
                        static_cast<unsigned long long>(seq.value()), times.size(), times.front(),
                        at(0.5), at(0.9), times.back(), first_due_[seq]);
        }
    }

  private:
    void sample() {
        const Handle src = *swarm_.source();
        if (const auto edge = swarm_.engine(src).live_edge(); edge && !published_.contains(*edge)) {
            published_[*edge] = sim_.now();
        }
        for (Handle h : swarm_.peers()) {
            if (!swarm_.alive(h)) {
                continue;
            }
            const auto& e = swarm_.engine(h);
            note_freeze(h, e);
            if (!e.playback().started()) {
                continue;
            }
            for (const auto& [seq, at] : published_) {
                if (seq < e.playback().playhead() || seen_[{h, seq}]) {
                    continue;
                }
                const double due = to_seconds(e.playback().due(seq, sim_.now()) - at);
                first_due_[seq] = first_due_.contains(seq) ? std::min(first_due_[seq], due) : due;
                if (e.store().has(seq)) {
                    seen_[{h, seq}] = true;
                    got_[seq].push_back(to_seconds(sim_.now() - at));
                }
            }
        }
    }

    void note_freeze(Handle h, const peer::PeerEngine& e) {
        const auto r = e.report(sim_.now());
        if (r.freezes() <= freezes_[h]) {
            return;
        }
        freezes_[h] = r.freezes();
        const ChunkSeq seq = e.playback().playhead();
        std::printf("[freeze] %s elapsed=%.2f startup=%.2f seq=%llu\n", r.peer_id().c_str(),
                    r.elapsed_s(), r.startup_delay_s(),
                    static_cast<unsigned long long>(seq.value()));
        if (std::getenv("SIM_TRACE_FREEZE") == nullptr) {
            return;
        }
        for (const auto& [id, n] : e.neighbors().all()) {
            // Seconds since the chunk was asked of it (-1: not asked / not given up on).
            const auto ago = [&](const std::map<ChunkSeq, TimePoint>& m) {
                const auto it = m.find(seq);
                return it == m.end() ? -1.0 : to_seconds(sim_.now() - it->second);
            };
            std::printf(
                "   %s source=%d holds=%d asked=%.2f abandoned=%.2f busy_for=%.2f "
                "rate=%.0f in_flight=%zu\n",
                n.peer_id.value().c_str(), n.is_source ? 1 : 0, n.map && n.map->test(seq) ? 1 : 0,
                ago(n.in_flight), ago(n.abandoned),
                std::max(0.0, to_seconds(n.busy_until - sim_.now())), n.rate_bytes_per_s,
                n.in_flight.size());
        }
    }

    Simulator& sim_;
    Swarm& swarm_;
    std::map<ChunkSeq, TimePoint> published_;
    std::map<ChunkSeq, std::vector<double>> got_;  // seconds after publication
    std::map<ChunkSeq, double> first_due_;
    std::map<std::pair<Handle, ChunkSeq>, bool> seen_;
    std::map<Handle, std::uint32_t> freezes_;
};

}  // namespace p2pls::netsim
