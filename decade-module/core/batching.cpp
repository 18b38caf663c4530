#include "decade-module/core/batching.hpp"

#include <algorithm>

namespace p2pls::decade {

Plan plan_requests(std::vector<PendingGet> pending,
                   const std::map<std::string, std::size_t>& free_slots, TimePoint now,
                   const BatchPolicy& policy) {
    std::stable_sort(pending.begin(), pending.end(), [](const PendingGet& a, const PendingGet& b) {
        return a.server != b.server ? a.server < b.server : a.deadline < b.deadline;
    });
    const std::size_t max_ops = std::max<std::size_t>(policy.max_ops_per_batch, 1);
    Plan plan;
    std::vector<PlannedRequest> batches;
    for (auto first = pending.begin(); first != pending.end();) {
        const auto last = std::find_if(
            first, pending.end(), [&](const PendingGet& g) { return g.server != first->server; });
        const auto slots_it = free_slots.find(first->server);
        std::size_t slots = slots_it == free_slots.end() ? 0 : slots_it->second;
        auto it = first;
        // Urgent gets alone, while slots last.
        for (; it != last && slots > 0 && it->deadline <= now + policy.urgent_within; ++it) {
            plan.requests.push_back({it->server, {it->id}, true});
            --slots;
        }
        // The rest: spread over the remaining slots, each batch bounded in ops and bytes.
        const auto remaining = static_cast<std::size_t>(last - it);
        const std::size_t per_slot =
            slots == 0 ? 0
                       : std::min(max_ops, std::max(policy.min_ops_per_batch,
                                                    (remaining + slots - 1) / slots));
        while (it != last && slots > 0) {
            PlannedRequest batch{it->server, {}, false};
            std::uint64_t bytes = 0;
            while (
                it != last && batch.ids.size() < per_slot &&
                (batch.ids.empty() || bytes + it->expected_bytes <= policy.max_bytes_per_batch)) {
                bytes += it->expected_bytes;
                batch.ids.push_back(it->id);
                ++it;
            }
            batches.push_back(std::move(batch));
            --slots;
        }
        plan.deferred.insert(plan.deferred.end(), std::make_move_iterator(it),
                             std::make_move_iterator(last));
        first = last;
    }
    plan.requests.insert(plan.requests.end(), std::make_move_iterator(batches.begin()),
                         std::make_move_iterator(batches.end()));
    return plan;
}

}  // namespace p2pls::decade
