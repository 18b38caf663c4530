// The tracker reply becomes candidates and a live edge: peers in order, the source
// flagged and last, never the source for the origin itself, and no edge while it is 0.
#include "peer/core/tracker_reply.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

tracker_api::AnnounceResponse reply_with(
    std::initializer_list<std::pair<const char*, const char*>> peers) {
    tracker_api::AnnounceResponse r;
    for (const auto& [id, endpoint] : peers) {
        auto* p = r.add_peers();
        p->set_peer_id(id);
        p->set_endpoint(endpoint);
    }
    return r;
}

TEST(TrackerReply, PeersKeepReplyOrderAndAreNotSources) {
    const auto view =
        read_tracker_reply(reply_with({{"a", "10.0.0.1:1"}, {"b", "10.0.0.2:2"}}), false);
    ASSERT_EQ(view.candidates.size(), 2U);
    EXPECT_EQ(view.candidates[0].peer_id, PeerId{"a"});
    EXPECT_EQ(view.candidates[0].endpoint, "10.0.0.1:1");
    EXPECT_FALSE(view.candidates[0].is_source);
    EXPECT_EQ(view.candidates[1].peer_id, PeerId{"b"});
    EXPECT_EQ(view.candidates[1].endpoint, "10.0.0.2:2");
    EXPECT_FALSE(view.candidates[1].is_source);
}

TEST(TrackerReply, PeersCarryTheirDecadeServer) {
    auto r = reply_with({{"a", "10.0.0.1:1"}, {"b", "10.0.0.2:2"}});
    r.mutable_peers(0)->set_decade_server("http://127.16.0.1:8080");
    const auto view = read_tracker_reply(r, false);
    ASSERT_EQ(view.candidates.size(), 2U);
    EXPECT_EQ(view.candidates[0].decade_server, "http://127.16.0.1:8080");
    EXPECT_EQ(view.candidates[1].decade_server, "");
}

TEST(TrackerReply, SourceIsFlaggedAndComesLast) {
    auto r = reply_with({{"a", "10.0.0.1:1"}});
    r.mutable_source()->set_peer_id("src");
    r.mutable_source()->set_endpoint("10.0.0.9:9");
    const auto view = read_tracker_reply(r, false);
    ASSERT_EQ(view.candidates.size(), 2U);
    EXPECT_FALSE(view.candidates[0].is_source);
    EXPECT_EQ(view.candidates[1].peer_id, PeerId{"src"});
    EXPECT_EQ(view.candidates[1].endpoint, "10.0.0.9:9");
    EXPECT_TRUE(view.candidates[1].is_source);
}

TEST(TrackerReply, OriginNeverListsTheSource) {
    auto r = reply_with({{"a", "10.0.0.1:1"}});
    r.mutable_source()->set_peer_id("src");
    r.mutable_source()->set_endpoint("10.0.0.9:9");
    const auto view = read_tracker_reply(r, true);
    ASSERT_EQ(view.candidates.size(), 1U);
    EXPECT_EQ(view.candidates[0].peer_id, PeerId{"a"});
}

TEST(TrackerReply, SourceWithoutEndpointIsLeftOut) {
    auto r = reply_with({});
    r.mutable_source()->set_peer_id("src");
    const auto view = read_tracker_reply(r, false);
    EXPECT_TRUE(view.candidates.empty());
}

TEST(TrackerReply, ZeroLiveEdgeMeansUnknown) {
    auto r = reply_with({});
    EXPECT_FALSE(read_tracker_reply(r, false).live_edge.has_value());
    r.mutable_channel()->set_live_edge(42);
    const auto view = read_tracker_reply(r, false);
    ASSERT_TRUE(view.live_edge.has_value());
    EXPECT_EQ(*view.live_edge, ChunkSeq{42});
}

}  // namespace
}  // namespace p2pls::peer
