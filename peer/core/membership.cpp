#include "peer/core/membership.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

namespace p2pls::peer {

Membership::Membership(const EngineConfig& config)
    : origin_(config.origin),
      self_(config.peer_id),
      target_neighbors_(config.target_neighbors),
      connect_timeout_(config.connect_timeout),
      want_peers_interval_(config.want_peers_interval),
      dead_after_(config.dead_after),
      useless_after_(config.useless_after),
      source_retry_(3 * config.maintenance_interval),
      penalty_(config.penalty),
      abandoned_for_(8 * config.request_timeout),
      decade_server_(config.decade.enabled ? config.decade.server : std::string()) {}

void Membership::on_peer_list(NeighborTable& table, const std::vector<PeerCandidate>& peers,
                              std::mt19937_64& rng) {
    std::vector<PeerCandidate> shuffled;
    for (const PeerCandidate& c : peers) {
        if (c.is_source) {
            if (!origin_) {
                source_ = c;
            }
        } else {
            shuffled.push_back(c);
        }
    }
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    table.add_candidates(shuffled, self_);
}

void Membership::on_connected(const std::string& endpoint) {
    pending_.erase(endpoint);
}

void Membership::on_connect_failed(const std::string& endpoint, TimePoint now) {
    pending_.erase(endpoint);
    if (source_ && source_->endpoint == endpoint) {
        source_retry_at_ = now + source_retry_;
    }
}

std::vector<std::pair<NeighborId, std::string>> Membership::to_drop(NeighborTable& table,
                                                                    ChunkSeq window_base,
                                                                    TimePoint now) {
    std::vector<std::pair<NeighborId, std::string>> out;
    const std::size_t count = table.size();
    for (auto& [id, n] : table.all()) {
        if (!n.established && now - n.connected_at > connect_timeout_) {
            out.emplace_back(id, "no Hello in time");
        } else if (now - n.last_heard > dead_after_) {
            out.emplace_back(id, "silent neighbour (dead)");
        } else if (!origin_ && !n.is_source && n.established && count >= target_neighbors_ &&
                   now - n.last_useful > useless_after_ &&
                   now - n.last_requested > useless_after_) {
            out.emplace_back(id, "useless neighbour (no exchange either way)");
        }
        // Abandoned requests that will not come any more.
        std::erase_if(n.abandoned, [&](const auto& e) {
            return e.first < window_base || now - e.second > abandoned_for_;
        });
    }
    for (const auto& [id, why] : out) {
        if (const Neighbor* n = table.find(id); n != nullptr && n->established) {
            table.penalize(n->peer_id, n->endpoint, now + penalty_);
        }
    }
    return out;
}

void Membership::forget_stale_connects(TimePoint now) {
    std::erase_if(pending_,
                  [&](const auto& e) { return now - e.second.asked_at > connect_timeout_; });
}

std::vector<Action> Membership::refill(NeighborTable& table, TimePoint now) {
    std::vector<Action> out;
    if (origin_) {
        return out;
    }
    if (source_ && now >= source_retry_at_ && !table.connected_to_endpoint(source_->endpoint) &&
        !pending_.contains(source_->endpoint) && !table.full()) {
        pending_.emplace(source_->endpoint, PendingConnect{now, false});
        out.emplace_back(Connect{source_->endpoint, source_->peer_id});
        source_retry_at_ = now + source_retry_;
    }
    std::set<std::string> pending;
    for (const auto& [ep, p] : pending_) {
        pending.insert(ep);
    }
    const auto peers = [&] {
        std::size_t c = pending_.size();
        for (const auto& [id, n] : table.all()) {
            if (!n.is_source) {
                ++c;
            }
        }
        return c;
    };
    const auto local = [&] {
        auto c = static_cast<std::size_t>(
            std::count_if(pending_.begin(), pending_.end(),
                          [](const auto& e) { return e.second.on_our_server; }));
        for (const auto& [id, n] : table.all()) {
            if (!n.is_source && n.decade && n.decade_server == decade_server_) {
                ++c;
            }
        }
        return c;
    };
    const auto quota =
        static_cast<std::size_t>(std::ceil(kLocalShare * static_cast<double>(target_neighbors_)));
    const std::function<bool(const PeerCandidate&)> on_our_server = [&](const PeerCandidate& c) {
        return c.decade_server == decade_server_;
    };
    while (peers() < target_neighbors_) {
        const bool prefer_local = !decade_server_.empty() && local() < quota;
        auto candidate = table.next_candidate(
            pending, now,
            prefer_local ? on_our_server : std::function<bool(const PeerCandidate&)>{});
        if (!candidate) {
            if (now >= next_want_peers_) {
                out.emplace_back(WantPeers{});
                next_want_peers_ = now + want_peers_interval_;
            }
            break;
        }
        pending.insert(candidate->endpoint);
        pending_.emplace(candidate->endpoint,
                         PendingConnect{now, !decade_server_.empty() && on_our_server(*candidate)});
        out.emplace_back(Connect{candidate->endpoint, candidate->peer_id});
    }
    return out;
}

}  // namespace p2pls::peer
