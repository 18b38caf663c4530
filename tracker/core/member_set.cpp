#include "tracker/core/member_set.hpp"

#include <algorithm>
#include <utility>

namespace p2pls::tracker {

void MemberSet::upsert(Member member) {
    if (const auto it = index_.find(std::string_view(member.peer_id)); it != index_.end()) {
        const std::uint32_t i = it->second;
        unlink(i);
        members_[i].member = std::move(member);
        link_newest(i);
        return;
    }
    const auto i = static_cast<std::uint32_t>(members_.size());
    index_.emplace(member.peer_id, i);
    members_.push_back(Slot{std::move(member)});
    link_newest(i);
}

void MemberSet::upsert(std::string_view peer_id, std::string_view endpoint, wire::Mode mode,
                       std::string_view decade_server, TimePoint last_seen) {
    const auto it = index_.find(peer_id);
    if (it == index_.end()) {
        upsert(Member{std::string(peer_id), std::string(endpoint), mode, std::string(decade_server),
                      last_seen});
        return;
    }
    const std::uint32_t i = it->second;
    unlink(i);
    Member& m = members_[i].member;
    if (m.endpoint != endpoint) {
        m.endpoint.assign(endpoint);
    }
    if (m.decade_server != decade_server) {
        m.decade_server.assign(decade_server);
    }
    m.mode = mode;
    m.last_seen = last_seen;
    link_newest(i);
}

bool MemberSet::erase(std::string_view peer_id) {
    const auto it = index_.find(peer_id);
    if (it == index_.end()) {
        return false;
    }
    remove_at(it->second);
    return true;
}

std::size_t MemberSet::expire_heard_until(TimePoint cutoff) {
    std::size_t dropped = 0;
    while (oldest_ != kNone && members_[oldest_].member.last_seen <= cutoff) {
        remove_at(oldest_);
        ++dropped;
    }
    return dropped;
}

const Member* MemberSet::find(std::string_view peer_id) const {
    const auto it = index_.find(peer_id);
    return it == index_.end() ? nullptr : &members_[it->second].member;
}

std::optional<TimePoint> MemberSet::oldest_last_seen() const {
    if (oldest_ == kNone) {
        return std::nullopt;
    }
    return members_[oldest_].member.last_seen;
}

std::vector<std::uint32_t> MemberSet::sample_indices(std::size_t k,
                                                     std::string_view exclude_peer_id,
                                                     std::mt19937_64& rng) const {
    // Draw from the n candidates [0, n) that skip the excluded index: candidate c maps to
    // member c, or c + 1 at and after the excluded one.
    std::uint32_t excluded = kNone;
    if (const auto it = index_.find(exclude_peer_id); it != index_.end()) {
        excluded = it->second;
    }
    const std::size_t n = members_.size() - (excluded == kNone ? 0 : 1);
    k = std::min(k, n);
    std::vector<std::uint32_t> picked;
    picked.reserve(k);
    if (k == n) {
        for (std::uint32_t c = 0; c < n; ++c) {
            picked.push_back(c);
        }
    } else {
        // Floyd's algorithm: k distinct values from [0, n), each k-subset equally likely,
        // k draws and no O(n) work. k is small (≤ 50), so a linear membership test wins.
        for (std::size_t j = n - k; j < n; ++j) {
            std::uniform_int_distribution<std::size_t> pick(0, j);
            const auto t = static_cast<std::uint32_t>(pick(rng));
            const bool seen = std::find(picked.begin(), picked.end(), t) != picked.end();
            picked.push_back(seen ? static_cast<std::uint32_t>(j) : t);
        }
    }
    // Floyd's order is biased toward the late values; peers take the list head first.
    std::shuffle(picked.begin(), picked.end(), rng);
    for (auto& c : picked) {
        if (excluded != kNone && c >= excluded) {
            ++c;
        }
    }
    return picked;
}

void MemberSet::unlink(std::uint32_t i) {
    Slot& s = members_[i];
    if (s.older != kNone) {
        members_[s.older].newer = s.newer;
    } else {
        oldest_ = s.newer;
    }
    if (s.newer != kNone) {
        members_[s.newer].older = s.older;
    } else {
        newest_ = s.older;
    }
    s.older = kNone;
    s.newer = kNone;
}

void MemberSet::link_newest(std::uint32_t i) {
    Slot& s = members_[i];
    s.older = newest_;
    s.newer = kNone;
    if (newest_ != kNone) {
        members_[newest_].newer = i;
    } else {
        oldest_ = i;
    }
    newest_ = i;
}

void MemberSet::remove_at(std::uint32_t i) {
    unlink(i);
    index_.erase(index_.find(std::string_view(members_[i].member.peer_id)));
    const auto last = static_cast<std::uint32_t>(members_.size() - 1);
    if (i != last) {
        // Move the last slot into the hole and repoint its list neighbours and index.
        members_[i] = std::move(members_[last]);
        Slot& moved = members_[i];
        if (moved.older != kNone) {
            members_[moved.older].newer = i;
        } else {
            oldest_ = i;
        }
        if (moved.newer != kNone) {
            members_[moved.newer].older = i;
        } else {
            newest_ = i;
        }
        index_.find(std::string_view(moved.member.peer_id))->second = i;
    }
    members_.pop_back();
}

}  // namespace p2pls::tracker
