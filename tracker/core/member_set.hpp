// The live members of one channel, built for a tracker with 10,000 members per channel:
//   - a dense vector, so that a uniform sample is k random indices (O(k));
//   - a map from peer id to index, so that lookup and removal are O(1) (removal swaps the
//     last member into the hole);
//   - a doubly-linked list threaded through the vector by index, ordered by when each
//     member was last heard. Time only moves forward, so a refreshed member goes to the
//     newest end and the expiry sweep pops from the oldest end: O(members expired).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/core/time.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::tracker {

struct Member {
    std::string peer_id;
    std::string endpoint;  // "host:port" where the member accepts neighbours
    wire::Mode mode = wire::native;
    std::string decade_server;  // its home DECADE server (DECADE mode)
    TimePoint last_seen{};      // last announce heard
};

class MemberSet {
  public:
    // Adds the member, or refreshes the one with the same peer id (fields replaced).
    // `member.last_seen` must not be older than any member's already in the set (the
    // caller clamps time so that it never moves backwards).
    void upsert(Member member);
    // The same from borrowed strings: a known member's strings are assigned in place, so
    // that a heartbeat allocates nothing.
    void upsert(std::string_view peer_id, std::string_view endpoint, wire::Mode mode,
                std::string_view decade_server, TimePoint last_seen);

    // Removes the member; false if it was not there.
    bool erase(std::string_view peer_id);

    // Drops every member last heard at or before `cutoff`; returns how many.
    std::size_t expire_heard_until(TimePoint cutoff);

    [[nodiscard]] const Member* find(std::string_view peer_id) const;
    [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
    [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
    // When the least recently heard member was heard (nullopt when empty).
    [[nodiscard]] std::optional<TimePoint> oldest_last_seen() const;

    // Up to `k` distinct members drawn uniformly at random, never `exclude_peer_id`.
    // Calls out(const Member&) for each, in random order.
    template <class Out>
    void sample(std::size_t k, std::string_view exclude_peer_id, std::mt19937_64& rng,
                Out&& out) const {
        for (const std::uint32_t i : sample_indices(k, exclude_peer_id, rng)) {
            out(members_[i].member);
        }
    }

  private:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    struct Slot {
        Member member;
        std::uint32_t older = kNone;  // neighbour heard just before this one
        std::uint32_t newer = kNone;  // neighbour heard just after
    };

    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    [[nodiscard]] std::vector<std::uint32_t> sample_indices(std::size_t k,
                                                            std::string_view exclude_peer_id,
                                                            std::mt19937_64& rng) const;
    void unlink(std::uint32_t i);
    void link_newest(std::uint32_t i);
    void remove_at(std::uint32_t i);

    std::vector<Slot> members_;
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
    std::uint32_t oldest_ = kNone;
    std::uint32_t newest_ = kNone;
};

}  // namespace p2pls::tracker
