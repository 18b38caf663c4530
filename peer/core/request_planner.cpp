#include "peer/core/request_planner.hpp"

#include <algorithm>
#include <set>

#include "peer/core/first_fetch.hpp"

namespace p2pls::peer {

RequestPlanner::RequestPlanner(const EngineConfig& config, TimePoint started_at)
    : config_(config), started_at_(started_at), peer_hash_(peer_hash(config.peer_id.value())) {}

void RequestPlanner::on_source_first_fetch_ppm(std::uint32_t ppm) {
    source_first_fetch_ppm_ = std::min(ppm, kFirstFetchPpmMax);
}

void RequestPlanner::move_start_point(const NeighborTable& table, Playback& playback,
                                      ChunkStore& store, ChunkSeq live_edge) const {
    // The stream may have begun after our start point.
    for (const auto& [id, n] : table.all()) {
        if (!n.is_source || !n.map || n.map->test(playback.playhead())) {
            continue;
        }
        for (ChunkSeq s = std::max(playback.playhead(), n.map->base()); s < n.map->end(); ++s) {
            if (n.map->test(s)) {
                if (s > playback.playhead()) {
                    playback.rejoin(s);
                    store.slide_to(std::max(store.base(), s - config_.window / 2));
                }
                break;
            }
        }
    }
    // A start point none of our neighbours holds, while they hold chunks after it, is one
    // they skipped or never had: a start point from a stale live edge (the tracker's), or
    // the stream's first chunk. Nobody near us will fetch it, so waiting for it left peers
    // that joined in a flash crowd's first seconds without a picture for 10 s (2 x the
    // startup lag, below). Start at the first chunk one of them holds instead, while that
    // still leaves a startup buffer behind the live edge.
    if (!store.has(playback.playhead())) {
        std::size_t with_maps = 0;
        bool held = false;
        std::optional<ChunkSeq> first_later;
        for (const auto& [id, n] : table.all()) {
            if (!n.established || !n.map) {
                continue;
            }
            ++with_maps;
            if (n.map->test(playback.playhead())) {
                held = true;
                break;
            }
            for (ChunkSeq s = std::max(playback.playhead() + 1, n.map->base()); s < n.map->end();
                 ++s) {
                if (n.map->test(s)) {
                    first_later = std::min(first_later.value_or(s), s);
                    break;
                }
            }
        }
        const std::uint64_t buffer = config_.chunks_in(config_.startup_buffer);
        if (!held && with_maps >= 2 && first_later && *first_later + buffer <= live_edge) {
            playback.rejoin(*first_later);
            store.slide_to(std::max(store.base(), *first_later - config_.window / 2));
        }
    }
    // Nothing is played yet, so moving on costs nothing: a start point whose chunks never
    // came (e.g. nobody near us fetched them) is given up for a fresh one.
    const std::uint64_t lag = config_.chunks_in(config_.startup_lag);
    if (live_edge > playback.playhead() + 2 * lag) {
        const ChunkSeq fresh = live_edge - lag;
        playback.rejoin(fresh);
        store.slide_to(std::max(store.base(), fresh - config_.window / 2));
    }
}

LateRequests RequestPlanner::expire_late(NeighborTable& table, const Playback& playback,
                                         TimePoint now) const {
    LateRequests out;
    for (auto& [id, n] : table.all()) {
        for (auto it = n.in_flight.begin(); it != n.in_flight.end();) {
            const Duration age = now - it->second;
            const bool close_call = playback.due(it->first, now) - now < config_.urgent_window / 3;
            if (age >= config_.request_timeout ||
                (close_call && age >= config_.request_timeout / 3)) {
                out.late[it->first] = id;
                n.abandoned.insert(*it);
                it = n.in_flight.erase(it);
                n.rate_bytes_per_s /= 2;
                if (++n.late_in_a_row >= config_.max_late && !n.is_source) {
                    out.too_slow.push_back(id);
                }
            } else {
                ++it;
            }
        }
    }
    return out;
}

SchedulerInput RequestPlanner::input(NeighborTable& table, const ChunkStore& store,
                                     const Playback& playback, const LiveEdge& live_edge,
                                     const LateRequests& late, std::uint64_t chunk_bytes,
                                     const StorageState& storage, TimePoint now) const {
    const bool decade = config_.decade.enabled;
    std::set<ChunkSeq> in_flight;
    for (const auto& [id, n] : table.all()) {
        for (const auto& [seq, t] : n.in_flight) {
            in_flight.insert(seq);
        }
    }
    const std::size_t total_cap = config_.max_requests_in_flight;
    SchedulerInput input;
    input.urgent_window = config_.urgent_window;
    input.chunk_bytes = chunk_bytes;
    input.max_assignments = in_flight.size() >= total_cap ? 0 : total_cap - in_flight.size();
    const ChunkSeq from = std::max(playback.playhead(), store.base());
    const ChunkSeq to = std::min(*live_edge.value() + 1, store.end());
    for (ChunkSeq seq = from; seq < to; ++seq) {
        if (store.has(seq) || in_flight.contains(seq)) {
            continue;
        }
        ChunkNeed need{seq, playback.due(seq, now) - now, std::nullopt};
        if (decade) {
            // Natively only as a fallback: due soon and not coming from storage in time,
            // or storage is failing.
            const bool soon =
                need.time_left < config_.decade.fallback_margin && !storage.awaited.contains(seq);
            const bool blocked = storage.blocked && need.time_left < config_.urgent_window;
            if (!(soon || blocked)) {
                continue;
            }
        }
        if (auto l = late.late.find(seq); l != late.late.end()) {
            need.late_from = l->second;
        }
        if (!decade) {
            if (const auto published = live_edge.published_at(seq)) {
                need.first_fetch =
                    now - *published >= first_fetch_delay(peer_hash_, seq, source_first_fetch_ppm_,
                                                          config_.first_fetch_step);
            }
        }
        input.needs.push_back(need);
    }
    for (auto& [id, n] : table.all()) {
        // DECADE peers serve from their lockers, not natively (the source serves both).
        if (!n.established || !n.map || (n.decade && !n.is_source)) {
            continue;
        }
        const ChunkBitmap& map = *n.map;  // a lambda may not capture a structured binding
        const bool useful = input.needs.empty() ||
                            std::any_of(input.needs.begin(), input.needs.end(),
                                        [&](const ChunkNeed& need) { return map.test(need.seq); });
        if (useful) {
            n.last_useful = now;
        }
        HolderView h;
        h.id = id;
        h.map = &*n.map;
        h.is_source = n.is_source;
        h.outstanding = &n.abandoned;
        const auto used = static_cast<std::uint32_t>(n.in_flight.size());
        const std::uint32_t cap =
            n.is_source ? config_.max_in_flight_source : config_.max_in_flight;
        h.free_slots = (now < n.busy_until || used >= cap) ? 0 : cap - used;
        h.rate_bytes_per_s = n.rate_bytes_per_s;
        h.queued_bytes = used * chunk_bytes;
        input.holders.push_back(h);
        if (n.is_source && !decade) {
            input.first_fetch_slot = !first_fetch_out_ || !n.in_flight.contains(*first_fetch_out_);
        }
    }
    return input;
}

std::vector<std::pair<NeighborId, wire::PeerMessage>> RequestPlanner::requests(
    const std::vector<Assignment>& assignments, NeighborTable& table, const Playback& playback,
    TimePoint now) {
    std::map<std::pair<NeighborId, bool>, wire::PeerMessage> by_key;
    for (const Assignment& a : assignments) {
        Neighbor* n = table.find(a.to);
        n->in_flight[a.seq] = now;
        n->abandoned.erase(a.seq);
        if (a.first_fetch) {
            first_fetch_out_ = a.seq;
        }
        const bool soon = due_soon(a.seq, playback, now);
        wire::Request* request = by_key[{a.to, soon}].mutable_request();
        request->add_seqs(a.seq.value());
        request->set_due_soon(soon);
    }
    std::vector<std::pair<NeighborId, wire::PeerMessage>> out;
    out.reserve(by_key.size());
    for (auto& [key, m] : by_key) {
        out.emplace_back(key.first, std::move(m));
    }
    return out;
}

bool RequestPlanner::due_soon(ChunkSeq seq, const Playback& playback, TimePoint now) const {
    if (playback.started()) {
        return playback.due(seq, now) - now < config_.due_soon;
    }
    return now - started_at_ >= config_.startup_patience &&
           seq < playback.playhead() + config_.chunks_in(config_.startup_buffer);
}

}  // namespace p2pls::peer
