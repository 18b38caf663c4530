#include "peer/core/neighbor_table.hpp"

#include <algorithm>

namespace p2pls::peer {
namespace {

constexpr double kRateWeight = 0.3;  // EWMA weight of a new rate sample

}  // namespace

std::optional<TimePoint> Neighbor::take_request(ChunkSeq seq) {
    std::optional<TimePoint> asked_at;
    if (auto it = in_flight.find(seq); it != in_flight.end()) {
        asked_at = it->second;
        in_flight.erase(it);
    } else if (auto ab = abandoned.find(seq); ab != abandoned.end()) {
        asked_at = ab->second;
        abandoned.erase(ab);
    }
    return asked_at;
}

void Neighbor::note_delivery(std::uint64_t bytes, std::optional<TimePoint> asked_at,
                             TimePoint now) {
    if (asked_at && now > *asked_at) {
        const double sample = static_cast<double>(bytes) / to_seconds(now - *asked_at);
        rate_bytes_per_s = (1 - kRateWeight) * rate_bytes_per_s + kRateWeight * sample;
    }
    late_in_a_row = 0;
    last_useful = now;
}

void Neighbor::note_busy(const google::protobuf::RepeatedField<std::uint64_t>& seqs,
                         Duration retry_after, TimePoint now) {
    for (std::uint64_t raw : seqs) {
        in_flight.erase(ChunkSeq{raw});
        abandoned.erase(ChunkSeq{raw});
    }
    busy_until = now + retry_after;
}

void NeighborTable::abandon_requests(ChunkSeq seq) {
    for (auto& [id, n] : by_id_) {
        if (auto it = n.in_flight.find(seq); it != n.in_flight.end()) {
            n.abandoned.insert(*it);
            n.in_flight.erase(it);
        }
    }
}

NeighborTable::NeighborTable(std::size_t max_neighbors, std::size_t max_candidates)
    : max_neighbors_(max_neighbors), max_candidates_(max_candidates) {}

bool NeighborTable::add(Neighbor n) {
    if (full() || by_id_.contains(n.id)) {
        return false;
    }
    const NeighborId id = n.id;
    by_id_.emplace(id, std::move(n));
    return true;
}

void NeighborTable::remove(NeighborId id) {
    by_id_.erase(id);
}

Neighbor* NeighborTable::find(NeighborId id) {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

const Neighbor* NeighborTable::find(NeighborId id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

const Neighbor* NeighborTable::find_peer(const PeerId& id) const {
    for (const auto& [nid, n] : by_id_) {
        if (n.established && n.peer_id == id) {
            return &n;
        }
    }
    return nullptr;
}

bool NeighborTable::connected_to_endpoint(const std::string& endpoint) const {
    return !endpoint.empty() && std::any_of(by_id_.begin(), by_id_.end(), [&](const auto& e) {
        return e.second.endpoint == endpoint;
    });
}

std::size_t NeighborTable::established() const {
    return static_cast<std::size_t>(std::count_if(
        by_id_.begin(), by_id_.end(), [](const auto& e) { return e.second.established; }));
}

void NeighborTable::ban_endpoint(const std::string& endpoint) {
    if (endpoint.empty()) {
        return;
    }
    if (banned_endpoints_.size() < kMaxBanned) {
        banned_endpoints_.insert(endpoint);
    }
    std::erase_if(candidates_, [&](const PeerCandidate& c) { return c.endpoint == endpoint; });
}

void NeighborTable::ban_host(const std::string& host) {
    if (!host.empty() && banned_hosts_.size() < kMaxBanned) {
        banned_hosts_.insert(host);
    }
}

void NeighborTable::ban_connection(const Neighbor& n) {
    if (n.outbound) {
        ban_endpoint(n.endpoint);
    } else {
        ban_host(n.remote_host);
    }
}

bool NeighborTable::banned_endpoint(const std::string& endpoint) const {
    return banned_endpoints_.contains(endpoint);
}

bool NeighborTable::banned_host(const std::string& host) const {
    return !host.empty() && banned_hosts_.contains(host);
}

void NeighborTable::add_candidates(const std::vector<PeerCandidate>& list, const PeerId& self) {
    for (const PeerCandidate& c : list) {
        if (c.endpoint.empty() || c.peer_id == self || banned_endpoint(c.endpoint)) {
            continue;
        }
        const auto same = std::find_if(candidates_.begin(), candidates_.end(),
                                       [&](const auto& o) { return o.endpoint == c.endpoint; });
        if (same != candidates_.end()) {
            candidates_.erase(same);
        }
        candidates_.push_back(c);
        if (candidates_.size() > max_candidates_) {
            candidates_.pop_front();
        }
    }
}

void NeighborTable::penalize(const PeerId& id, const std::string& endpoint, TimePoint until) {
    if (penalty_.size() >= kMaxBanned) {
        // Forget the penalties that end first.
        auto first =
            std::min_element(penalty_.begin(), penalty_.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; });
        penalty_.erase(first);
    }
    if (!id.value().empty()) {
        penalty_["id:" + id.value()] = until;
    }
    if (!endpoint.empty()) {
        penalty_["ep:" + endpoint] = until;
    }
}

bool NeighborTable::penalized(const PeerId& id, const std::string& endpoint, TimePoint now) const {
    const auto active = [&](const std::string& key) {
        const auto it = penalty_.find(key);
        return it != penalty_.end() && it->second > now;
    };
    return (!id.value().empty() && active("id:" + id.value())) ||
           (!endpoint.empty() && active("ep:" + endpoint));
}

std::optional<PeerCandidate> NeighborTable::next_candidate(
    const std::set<std::string>& pending, TimePoint now,
    const std::function<bool(const PeerCandidate&)>& prefer) {
    const auto eligible = [&](const PeerCandidate& c) {
        return !pending.contains(c.endpoint) && !connected_to_endpoint(c.endpoint) &&
               !penalized(c.peer_id, c.endpoint, now) &&
               !(c.peer_id.value().size() > 0 && connected_to_peer(c.peer_id));
    };
    std::optional<std::size_t> chosen;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
        if (!eligible(candidates_[i])) {
            continue;
        }
        if (!prefer || prefer(candidates_[i])) {
            chosen = i;
            break;
        }
        if (!chosen) {
            chosen = i;  // the first in turn, unless a preferred one follows
        }
    }
    if (!chosen) {
        return std::nullopt;
    }
    // The chosen one goes to the back, so that a peer that refused us is tried again
    // only after everyone else.
    PeerCandidate c = candidates_[*chosen];
    candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(*chosen));
    candidates_.push_back(c);
    return c;
}

}  // namespace p2pls::peer
