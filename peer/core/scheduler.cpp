#include "peer/core/scheduler.hpp"

#include <algorithm>
#include <limits>

namespace p2pls::peer {
namespace {

struct Ranked {
    const ChunkNeed* need;
    bool urgent;
    std::uint32_t rarity;  // neighbours (not the source) holding it
};

bool holds(const HolderView& h, const ChunkNeed& need) {
    return h.map->test(need.seq) && (!need.late_from || *need.late_from != h.id) &&
           (h.outstanding == nullptr || !h.outstanding->contains(need.seq));
}

}  // namespace

std::vector<Assignment> schedule(const SchedulerInput& input) {
    std::vector<Ranked> ranked;
    ranked.reserve(input.needs.size());
    for (const ChunkNeed& need : input.needs) {
        std::uint32_t rarity = 0;
        for (const HolderView& h : input.holders) {
            if (!h.is_source && holds(h, need)) {
                ++rarity;
            }
        }
        ranked.push_back({&need, need.time_left < input.urgent_window, rarity});
    }
    std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
        if (a.urgent != b.urgent) {
            return a.urgent;
        }
        if (!a.urgent && a.rarity != b.rarity) {
            return a.rarity < b.rarity;
        }
        return a.need->seq < b.need->seq;
    });

    std::vector<HolderView> holders = input.holders;
    bool first_fetch_slot = input.first_fetch_slot;
    std::vector<Assignment> out;
    std::size_t counted = 0;  // assignments against max_assignments (not the first fetch)
    for (const Ranked& r : ranked) {
        // Urgent ones too: a newcomer's old chunks that no neighbour has yet, when the
        // source's slots and Busy back-off would hold them (measured: startup and misses
        // worse without).
        const bool first_fetch = r.need->first_fetch && r.rarity == 0 && first_fetch_slot;
        if (first_fetch) {
            // Nobody else holds it (rarity 0), so only the source can be the holder.
            for (const HolderView& h : holders) {
                if (h.is_source && holds(h, *r.need)) {
                    first_fetch_slot = false;
                    out.push_back({h.id, r.need->seq, true});
                    break;
                }
            }
            continue;
        }
        if (counted >= input.max_assignments) {
            if (!first_fetch_slot) {
                break;
            }
            continue;
        }
        HolderView* best = nullptr;
        double best_finish = std::numeric_limits<double>::infinity();
        for (HolderView& h : holders) {
            if (h.is_source || h.free_slots == 0 || !holds(h, *r.need)) {
                continue;
            }
            const double finish = static_cast<double>(h.queued_bytes + input.chunk_bytes) /
                                  std::max(h.rate_bytes_per_s, 1.0);
            if (finish < best_finish) {
                best_finish = finish;
                best = &h;
            }
        }
        // The source only for urgent chunks no neighbour has; and, as a last resort, for a
        // chunk about to be missed whose holders are all saturated or late.
        const bool last_resort = r.need->time_left < input.urgent_window / 3;
        if (best == nullptr && r.urgent && (r.rarity == 0 || last_resort)) {
            for (HolderView& h : holders) {
                if (h.is_source && h.free_slots > 0 && holds(h, *r.need)) {
                    best = &h;
                    break;
                }
            }
        }
        if (best != nullptr) {
            --best->free_slots;
            best->queued_bytes += input.chunk_bytes;
            out.push_back({best->id, r.need->seq, false});
            ++counted;
        }
    }
    return out;
}

}  // namespace p2pls::peer
