#include "peer/core/neighbor_table.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

Neighbor make(std::uint32_t id, const std::string& peer, const std::string& endpoint = "") {
    Neighbor n;
    n.id = NeighborId{id};
    n.peer_id = PeerId{peer};
    n.endpoint = endpoint;
    n.established = true;
    return n;
}

TEST(NeighborTable, BoundedAndKeyedById) {
    NeighborTable t(2, 10);
    EXPECT_TRUE(t.add(make(1, "a")));
    EXPECT_FALSE(t.add(make(1, "b"))) << "id taken";
    EXPECT_TRUE(t.add(make(2, "b")));
    EXPECT_TRUE(t.full());
    EXPECT_FALSE(t.add(make(3, "c")));
    EXPECT_TRUE(t.connected_to_peer(PeerId{"b"}));
    t.remove(NeighborId{2});
    EXPECT_FALSE(t.connected_to_peer(PeerId{"b"}));
    EXPECT_EQ(t.size(), 1u);
}

TEST(NeighborTable, CandidatesAreDeduplicatedBoundedAndSkipSelfAndBanned) {
    NeighborTable t(8, 3);
    t.ban_endpoint("10.0.0.9:1");
    t.add_candidates({{PeerId{"me"}, "10.0.0.1:1"},
                      {PeerId{"a"}, "10.0.0.2:1"},
                      {PeerId{"a"}, "10.0.0.2:1"},
                      {PeerId{"x"}, "10.0.0.9:1"},
                      {PeerId{"b"}, "10.0.0.4:1"},
                      {PeerId{"c"}, "10.0.0.5:1"},
                      {PeerId{"d"}, "10.0.0.6:1"}},
                     PeerId{"me"});
    EXPECT_EQ(t.candidates(), 3u) << "bounded: the oldest (a) is forgotten";
    std::set<std::string> seen;
    for (int i = 0; i < 3; ++i) {
        const auto c = t.next_candidate({});
        ASSERT_TRUE(c.has_value());
        seen.insert(c->peer_id.value());
    }
    EXPECT_EQ(seen, (std::set<std::string>{"b", "c", "d"}));
}

TEST(NeighborTable, NextCandidateSkipsConnectedAndPending) {
    NeighborTable t(8, 10);
    t.add(make(1, "a", "h:1"));
    t.add_candidates({{PeerId{"a"}, "h:1"}, {PeerId{"b"}, "h:2"}, {PeerId{"c"}, "h:3"}},
                     PeerId{"me"});
    const auto c = t.next_candidate({"h:2"});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->endpoint, "h:3");
    EXPECT_FALSE(t.next_candidate({"h:2", "h:3"}).has_value());
}

TEST(NeighborTable, NextCandidatePrefersWhatItIsToldAndElseTakesTheFirstInTurn) {
    NeighborTable t(8, 10);
    t.add_candidates({{PeerId{"a"}, "h:1", false, "http://far"},
                      {PeerId{"b"}, "h:2", false, "http://near"},
                      {PeerId{"c"}, "h:3", false, "http://far"}},
                     PeerId{"me"});
    const auto near = [](const PeerCandidate& c) { return c.decade_server == "http://near"; };
    auto c = t.next_candidate({}, TimePoint::min(), near);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->peer_id.value(), "b");
    // b pending: none preferred is left, so the first in turn.
    c = t.next_candidate({"h:2"}, TimePoint::min(), near);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->peer_id.value(), "a");
    // Without a preference, the turn goes on: a went to the back.
    c = t.next_candidate({"h:2"});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->peer_id.value(), "c");
}

TEST(NeighborTable, BanIsForGoodAndBounded) {
    NeighborTable t(8, 10);
    for (std::size_t i = 0; i < NeighborTable::kMaxBanned + 100; ++i) {
        t.ban_endpoint("h" + std::to_string(i) + ":1");
        t.ban_host("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    }
    EXPECT_TRUE(t.banned_endpoint("h0:1"));
    EXPECT_TRUE(t.banned_host("10.1.0.0"));
    EXPECT_FALSE(t.banned_endpoint("h" + std::to_string(NeighborTable::kMaxBanned + 50) + ":1"));
    EXPECT_FALSE(t.banned_host(""));
}

// A ban names what the connection proves: the endpoint we dialed, or the address an
// inbound neighbour's packets came from. Its declared id and endpoint name nobody.
TEST(NeighborTable, ABanNamesTheConnectionsAddressNeverItsDeclaredIdentity) {
    NeighborTable t(8, 10);
    Neighbor dialed = make(1, "b", "10.0.0.2:7000");
    dialed.outbound = true;
    t.ban_connection(dialed);
    EXPECT_TRUE(t.banned_endpoint("10.0.0.2:7000"));
    EXPECT_FALSE(t.banned_host("10.0.0.2")) << "its other endpoints may be honest peers";

    Neighbor inbound = make(2, "c", "10.0.0.3:7000");  // "c at 10.0.0.3:7000", it says
    inbound.outbound = false;
    inbound.remote_host = "192.0.2.9";
    t.ban_connection(inbound);
    EXPECT_TRUE(t.banned_host("192.0.2.9"));
    EXPECT_FALSE(t.banned_endpoint("10.0.0.3:7000")) << "the endpoint it declared is not its own";
}

}  // namespace
}  // namespace p2pls::peer
