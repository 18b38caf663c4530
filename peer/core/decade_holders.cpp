#include "peer/core/decade_holders.hpp"

#include <algorithm>
#include <cstdint>

namespace p2pls::peer {

bool may_copy_across(std::uint64_t peer_key, ChunkSeq object, Duration time_left, bool calm,
                     const DecadeConfig& config) {
    const std::uint64_t h = peer_key ^ (object.value() * 0x9e3779b97f4a7c15ULL);
    const bool early = h % std::max<std::uint32_t>(config.cross_server_share, 1) == 0;
    const auto spread =
        static_cast<std::uint64_t>(std::max<std::int64_t>(config.cross_server_spread.count(), 1));
    const Duration patience =
        early ? Duration::max()
              : config.fallback_margin + Duration{static_cast<std::int64_t>((h >> 8) % spread)};
    return time_left < patience && (early || !calm);
}

DecadeChoices choose_decade_holders(const std::vector<DecadeNeed>& needs,
                                    std::vector<DecadeHolderView> holders,
                                    const std::function<std::size_t(std::size_t)>& pick) {
    DecadeChoices out;
    std::vector<std::size_t> candidates;
    for (const DecadeNeed& need : needs) {
        if (!out.choices.empty() && out.choices.back().object == need.object) {
            continue;
        }
        candidates.clear();
        std::size_t best = SIZE_MAX;
        bool on_our_server = false;
        for (std::size_t i = 0; i < holders.size(); ++i) {
            const DecadeHolderView& h = holders[i];
            const std::uint64_t o = need.object.value();
            if (h.map == nullptr || !h.map->test(need.seq) || o < h.token_first ||
                o > h.token_last || !h.token_fresh) {
                continue;
            }
            out.useful.insert(h.id);
            on_our_server = on_our_server || h.same_server;
            if (!h.same_server && !need.copy_across_ok) {
                continue;
            }
            const std::size_t score =
                h.same_server ? h.load : 1000 + (h.is_origin ? 0 : 500) + h.load;
            if (score < best) {
                best = score;
                candidates.clear();
            }
            if (score == best) {
                candidates.push_back(i);
            }
        }
        if (candidates.empty() || (need.beyond_horizon && on_our_server)) {
            continue;
        }
        DecadeHolderView& chosen = holders[candidates[pick(candidates.size())]];
        ++chosen.load;
        out.choices.push_back({need.object, need.seq, chosen.id});
    }
    return out;
}

}  // namespace p2pls::peer
