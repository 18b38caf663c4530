// Keeping M neighbours: whom to connect to, when to ask the tracker again, whom to drop.
#include "peer/core/membership.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

EngineConfig config(std::size_t target = 3) {
    EngineConfig c;
    c.peer_id = PeerId{"me"};
    c.target_neighbors = target;
    return c;
}

std::vector<PeerCandidate> peers(int n, bool with_source = true) {
    std::vector<PeerCandidate> out;
    for (int i = 0; i < n; ++i) {
        out.push_back({PeerId{"p" + std::to_string(i)}, "p" + std::to_string(i) + ":1", false});
    }
    if (with_source) {
        out.push_back({PeerId{"src"}, "src:1", true});
    }
    return out;
}

// "S p3 p1 W": the endpoints connected to (S = the source), W = WantPeers.
std::string said(const std::vector<Action>& actions) {
    std::string out;
    for (const Action& a : actions) {
        std::string word = "?";
        if (const auto* c = std::get_if<Connect>(&a)) {
            word = c->endpoint == "src:1" ? "S" : c->endpoint.substr(0, c->endpoint.find(':'));
        } else if (std::holds_alternative<WantPeers>(a)) {
            word = "W";
        }
        out += (out.empty() ? "" : " ") + word;
    }
    return out;
}

Neighbor established(NeighborId id, const std::string& name, TimePoint at) {
    Neighbor n;
    n.id = id;
    n.established = true;
    n.peer_id = PeerId{name};
    n.endpoint = name + ":1";
    n.connected_at = n.last_heard = n.last_useful = n.last_requested = at;
    return n;
}

TEST(Membership, ConnectsTheSourceFirstThenUpToTheTarget) {
    Membership m(config(3));
    NeighborTable table(16, 256);
    std::mt19937_64 rng(1);
    m.on_peer_list(table, peers(5), rng);
    ASSERT_TRUE(m.source());
    const std::string first = said(m.refill(table, t0));
    // The source, then peers up to M: a pending connect counts, the source's too, until
    // it is up (a connected source does not count).
    ASSERT_EQ(first.substr(0, 2), "S ");
    EXPECT_EQ(std::count(first.begin(), first.end(), 'p'), 2);
    EXPECT_EQ(m.pending_connects(), 3u);
    // Nothing more while those are pending.
    EXPECT_EQ(said(m.refill(table, t0)), "");
}

// DECADE mode: candidates on our home server first, until they are three quarters of
// the target; then anyone (so that something reaches our server from the others).
TEST(Membership, DecadePeerDialsItsOwnServerFirstUpToThreeQuartersOfTheTarget) {
    EngineConfig c = config(8);
    c.decade.enabled = true;
    c.decade.server = "http://near";
    Membership m(c);
    NeighborTable table(16, 256);
    std::mt19937_64 rng(7);
    std::vector<PeerCandidate> list;
    for (int i = 0; i < 20; ++i) {
        // Ten near ones (n0..n9) among ten far ones (f0..f9).
        const bool near = i % 2 == 0;
        const std::string name = (near ? "n" : "f") + std::to_string(i / 2);
        list.push_back({PeerId{name}, name + ":1", false, near ? "http://near" : "http://far"});
    }
    m.on_peer_list(table, list, rng);
    const std::string first = said(m.refill(table, t0));
    EXPECT_EQ(std::count(first.begin(), first.end(), 'n'), 6) << first;  // ceil(0.75 x 8)
    EXPECT_EQ(std::count(first.begin(), first.end(), 'f'), 2) << first;
    EXPECT_EQ(first.substr(0, 1), "n") << "the near ones come first: " << first;
}

TEST(Membership, NativePeerDialsInTheTrackersRandomOrder) {
    std::vector<PeerCandidate> list;
    for (int i = 0; i < 20; ++i) {
        const bool near = i % 2 == 0;
        const std::string name = (near ? "n" : "f") + std::to_string(i / 2);
        list.push_back({PeerId{name}, name + ":1", false, near ? "http://near" : ""});
    }
    // Over several shuffles, the far ones get their share of the first eight dials.
    std::size_t far = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        Membership fresh(config(8));
        NeighborTable t(16, 256);
        std::mt19937_64 rng(seed);
        fresh.on_peer_list(t, list, rng);
        const std::string s = said(fresh.refill(t, t0));
        far += static_cast<std::size_t>(std::count(s.begin(), s.end(), 'f'));
    }
    EXPECT_GT(far, 20u * 8 / 4);  // half expected; a quarter is far below that
}

TEST(Membership, AsksTheTrackerWhenOutOfCandidatesAtMostOncePerInterval) {
    Membership m(config(3));
    NeighborTable table(16, 256);
    std::mt19937_64 rng(1);
    m.on_peer_list(table, peers(1, false), rng);
    EXPECT_EQ(said(m.refill(table, t0)), "p0 W");
    EXPECT_EQ(said(m.refill(table, t0 + 1s)), "");
    EXPECT_EQ(said(m.refill(table, t0 + 3s)), "W");  // want_peers_interval
}

TEST(Membership, AFailedSourceIsTriedAgainAfterThreeMaintenanceIntervals) {
    Membership m(config(0));
    NeighborTable table(16, 256);
    std::mt19937_64 rng(1);
    m.on_peer_list(table, peers(0), rng);
    EXPECT_EQ(said(m.refill(table, t0)), "S");
    m.on_connect_failed("src:1", t0 + 100ms);
    EXPECT_EQ(m.pending_connects(), 0u);
    EXPECT_EQ(said(m.refill(table, t0 + 3s)), "");
    EXPECT_EQ(said(m.refill(table, t0 + 3100ms)), "S");
}

TEST(Membership, OriginConnectsToNobodyAndIgnoresTheSourceEntry) {
    EngineConfig c = config(3);
    c.origin = true;
    Membership m(c);
    NeighborTable table(16, 256);
    std::mt19937_64 rng(1);
    m.on_peer_list(table, peers(5), rng);
    EXPECT_FALSE(m.source());
    EXPECT_EQ(said(m.refill(table, t0)), "");
}

TEST(Membership, StaleConnectsAreForgottenAfterTheConnectTimeout) {
    Membership m(config(1));
    NeighborTable table(16, 256);
    std::mt19937_64 rng(1);
    m.on_peer_list(table, peers(2, false), rng);
    ASSERT_EQ(said(m.refill(table, t0)).size(), 2u);
    m.forget_stale_connects(t0 + 5s);
    EXPECT_EQ(m.pending_connects(), 1u);
    m.forget_stale_connects(t0 + 5001ms);
    EXPECT_EQ(m.pending_connects(), 0u);
    m.on_connected("nobody:1");  // harmless
}

TEST(Membership, DropsTheSilentTheMuteAndTheUselessAndPenalisesThem) {
    Membership m(config(2));
    NeighborTable table(16, 256);
    table.add(established(NeighborId{1}, "silent", t0));
    Neighbor mute = established(NeighborId{2}, "mute", t0);
    mute.established = false;
    table.add(mute);
    table.add(established(NeighborId{3}, "useless", t0));
    Neighbor fine = established(NeighborId{4}, "fine", t0);
    fine.last_heard = fine.last_useful = t0 + 25s;
    fine.abandoned[ChunkSeq{5}] = t0;         // below the window base: forgotten
    fine.abandoned[ChunkSeq{50}] = t0 + 20s;  // recent: kept
    table.add(fine);
    table.find(NeighborId{3})->last_heard = t0 + 25s;

    const auto drops = m.to_drop(table, ChunkSeq{10}, t0 + 25s);
    ASSERT_EQ(drops.size(), 3u);
    EXPECT_EQ(drops[0].first, NeighborId{1});
    EXPECT_EQ(drops[0].second, "silent neighbour (dead)");
    EXPECT_EQ(drops[1].first, NeighborId{2});
    EXPECT_EQ(drops[1].second, "no Hello in time");
    EXPECT_EQ(drops[2].first, NeighborId{3});
    EXPECT_EQ(drops[2].second, "useless neighbour (no exchange either way)");
    // Established ones are kept away for the penalty; the one that never said Hello is not.
    EXPECT_TRUE(table.penalized(PeerId{"silent"}, "silent:1", t0 + 80s));
    EXPECT_FALSE(table.penalized(PeerId{"silent"}, "silent:1", t0 + 86s));
    EXPECT_TRUE(table.penalized(PeerId{"useless"}, "useless:1", t0 + 30s));
    EXPECT_FALSE(table.penalized(PeerId{"mute"}, "mute:1", t0 + 30s));
    EXPECT_EQ(table.find(NeighborId{4})->abandoned.size(), 1u);
}

TEST(Membership, NobodyIsUselessWhileWeAreShortOfNeighbours) {
    Membership m(config(8));
    NeighborTable table(16, 256);
    table.add(established(NeighborId{1}, "a", t0));
    table.find(NeighborId{1})->last_heard = t0 + 25s;
    EXPECT_TRUE(m.to_drop(table, ChunkSeq{0}, t0 + 25s).empty());
}

}  // namespace
}  // namespace p2pls::peer
