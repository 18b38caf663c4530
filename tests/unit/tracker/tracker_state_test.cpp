// TrackerState driven by a virtual clock: scenarios of sources, peers and DECADE servers.
#include "tracker/core/tracker_state.hpp"

#include <gtest/gtest.h>

#include <set>

#include "common/core/proto_json.hpp"
#include "tests/support/signed_source.hpp"

namespace p2pls::tracker {
namespace {

using namespace std::chrono_literals;

const std::string kKey = testing::SourceSigner().public_key();

// The virtual clock's wall time: Unix ms = the TimePoint's ms (any fixed offset would do).
std::int64_t unix_ms_of(TimePoint now) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

// A tracker with a 5 s interval (members expire 15 s after they were last heard) and a
// virtual clock.
struct Harness {
    explicit Harness(TrackerConfig config = {}) : state(config, 1234) {}

    TrackerState state;
    TimePoint now{1000s};
    testing::SourceSigner signer;

    Expected<tracker_api::AnnounceResponse> source(tracker_api::Event event,
                                                   std::uint64_t live_edge = 0,
                                                   std::string id = "src",
                                                   std::string channel = "news") {
        tracker_api::AnnounceRequest r;
        r.set_peer_id(id);
        r.set_endpoint("10.0.0.1:9000");
        r.set_event(event);
        r.set_is_source(true);
        r.set_bitrate_bps(2'000'000);
        r.set_chunk_ms(500);
        r.set_live_edge(live_edge);
        signer.sign(r, channel, unix_ms_of(now));
        return state.announce(channel, r, now, {}, unix_ms_of(now));
    }

    Expected<tracker_api::AnnounceResponse> peer(const std::string& id,
                                                 tracker_api::Event event = tracker_api::started,
                                                 std::uint32_t num_want = 0,
                                                 std::string channel = "news") {
        tracker_api::AnnounceRequest r;
        r.set_peer_id(id);
        r.set_endpoint("10.0.1.1:7000");
        r.set_mode(wire::native);
        r.set_event(event);
        r.set_num_want(num_want);
        return state.announce(channel, r, now);
    }

    Expected<tracker_api::AnnounceResponse> decade_peer(const std::string& id,
                                                        const std::string& region) {
        tracker_api::AnnounceRequest r;
        r.set_peer_id(id);
        r.set_endpoint("10.0.2.1:7000");
        r.set_mode(wire::decade);
        r.set_region(region);
        r.set_event(tracker_api::started);
        return state.announce("news", r, now);
    }

    std::uint32_t members(const std::string& channel = "news") {
        auto info = state.channel_info(channel, now);
        return info ? info->members() : 0;
    }

    // Everything a client could observe, for "nothing changed" checks.
    std::string snapshot() { return to_json(state.channels(now)); }
};

std::set<std::string> peer_ids(const tracker_api::AnnounceResponse& reply) {
    std::set<std::string> ids;
    for (const auto& p : reply.peers()) {
        ids.insert(p.peer_id());
    }
    return ids;
}

TEST(TrackerState, SourceCreatesChannelAndJoinReplyCarriesItsParameters) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started, 41));
    auto join = h.peer("p1");
    ASSERT_TRUE(join) << join.error().detail;
    EXPECT_EQ(join->interval_s(), 5u);
    EXPECT_EQ(join->channel().name(), "news");
    EXPECT_EQ(join->channel().bitrate_bps(), 2'000'000u);
    EXPECT_EQ(join->channel().chunk_ms(), 500u);
    EXPECT_EQ(join->channel().public_key(), kKey);
    EXPECT_EQ(join->channel().live_edge(), 41u);
    EXPECT_EQ(join->channel().members(), 1u);
    EXPECT_EQ(join->source().endpoint(), "10.0.0.1:9000");
    EXPECT_EQ(join->source().peer_id(), "src");
    EXPECT_TRUE(join->peers().empty());  // never the asker itself

    // The source's heartbeat moves the live edge.
    h.now += 1s;
    ASSERT_TRUE(h.source(tracker_api::heartbeat, 43));
    EXPECT_EQ(h.peer("p2")->channel().live_edge(), 43u);
}

TEST(TrackerState, PeerOnUnknownChannelIs404AndCreatesNothing) {
    Harness h;
    auto reply = h.peer("p1");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().status, 404u);
    EXPECT_EQ(reply.error().error, "unknown_channel");
    EXPECT_EQ(h.state.channel_count(), 0u);
}

TEST(TrackerState, MemberExpiresExactlyThreeIntervalsAfterLastHeard) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    ASSERT_TRUE(h.peer("p1"));
    const TimePoint heard = h.now;
    h.now = heard + 15s - 1us;
    ASSERT_TRUE(h.source(tracker_api::heartbeat));  // keep the channel's source alive
    EXPECT_EQ(h.members(), 1u);
    EXPECT_EQ(peer_ids(*h.peer("p2")), std::set<std::string>{"p1"});
    h.now = heard + 15s;
    EXPECT_EQ(peer_ids(*h.peer("p3")), std::set<std::string>{"p2"});
    EXPECT_EQ(h.members(), 2u);  // p2, p3
}

TEST(TrackerState, ExpirySweepMatchesLazyExpiry) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    ASSERT_TRUE(h.peer("p1"));
    h.now += 2s;
    ASSERT_TRUE(h.peer("p2"));
    EXPECT_EQ(h.state.next_expiry(), TimePoint{1015s});  // the source and p1
    EXPECT_EQ(h.state.expire(TimePoint{1015s} - 1us), 0u);
    EXPECT_EQ(h.state.expire(TimePoint{1015s}), 1u);  // p1; the source went too
    EXPECT_EQ(h.state.next_expiry(), TimePoint{1017s});
    EXPECT_EQ(h.state.expire(TimePoint{1017s}), 1u);
    EXPECT_EQ(h.state.channel_count(), 0u);  // no source, no members: the channel is gone
    EXPECT_FALSE(h.state.next_expiry());
}

TEST(TrackerState, HeartbeatsKeepMembersAliveIndefinitely) {
    Harness h;
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(h.source(i == 0 ? tracker_api::started : tracker_api::heartbeat));
        ASSERT_TRUE(h.peer("p1", i == 0 ? tracker_api::started : tracker_api::heartbeat));
        h.now += 5s;
        h.state.expire(h.now);
    }
    EXPECT_EQ(h.members(), 1u);
}

TEST(TrackerState, StoppedLeavesAtOnce) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    ASSERT_TRUE(h.peer("p1"));
    ASSERT_TRUE(h.peer("p2"));
    auto bye = h.peer("p1", tracker_api::stopped);
    ASSERT_TRUE(bye);
    EXPECT_TRUE(bye->peers().empty());
    EXPECT_EQ(h.members(), 1u);
    EXPECT_TRUE(h.peer("p1", tracker_api::stopped));  // twice is fine
    EXPECT_EQ(peer_ids(*h.peer("p3")), std::set<std::string>{"p2"});
}

TEST(TrackerState, HeartbeatFromUnknownMemberRejoins) {
    // After a tracker restart every member is unknown; their heartbeats rebuild the state.
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::heartbeat));
    ASSERT_TRUE(h.peer("p1", tracker_api::heartbeat));
    EXPECT_EQ(h.members(), 1u);
}

TEST(TrackerState, PeerListIsDefault20Cap50NeverSelfNeverDead) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(h.peer("old" + std::to_string(i)));
    }
    h.now += 10s;
    ASSERT_TRUE(h.source(tracker_api::heartbeat));
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(h.peer("new" + std::to_string(i)));
    }
    h.now += 5s;  // every "old" member is now exactly 15 s old: dead
    auto reply = h.peer("new7", tracker_api::heartbeat);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->peers_size(), 20);
    for (int round = 0; round < 50; ++round) {
        auto r = h.peer("new7", tracker_api::heartbeat, 1000);
        ASSERT_EQ(r->peers_size(), 50);
        const auto ids = peer_ids(*r);
        EXPECT_EQ(ids.size(), 50u);
        EXPECT_EQ(ids.count("new7"), 0u);
        for (const auto& id : ids) {
            EXPECT_TRUE(id.starts_with("new")) << id;
        }
    }
    EXPECT_EQ(h.peer("new7", tracker_api::heartbeat, 3)->peers_size(), 3);
}

TEST(TrackerState, SourceConflictAndTakeover) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started, 0, "src-a"));
    auto other = h.source(tracker_api::started, 0, "src-b");
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().status, 409u);
    ASSERT_TRUE(h.peer("p1"));
    // src-a leaves; the channel lives on for its members, and src-b may take over.
    ASSERT_TRUE(h.source(tracker_api::stopped, 0, "src-a"));
    EXPECT_EQ(h.state.channel_info("news", h.now)->source_endpoint(), "");
    ASSERT_TRUE(h.source(tracker_api::started, 7, "src-b"));
    EXPECT_EQ(h.peer("p1", tracker_api::heartbeat)->source().peer_id(), "src-b");
}

TEST(TrackerState, SourceStoppedOnEmptyChannelRemovesIt) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    ASSERT_TRUE(h.source(tracker_api::stopped));
    EXPECT_EQ(h.state.channel_count(), 0u);
    EXPECT_FALSE(h.peer("p1"));
}

TEST(TrackerState, NearestDecadeServerBySameRegionElseLeastLoaded) {
    Harness h;
    const auto add = [&](std::string url, std::string region, double load) {
        tracker_api::DecadeServerInfo s;
        s.set_url(url);
        s.set_region(region);
        s.set_load(load);
        ASSERT_TRUE(h.state.register_decade_server(s, h.now));
    };
    EXPECT_FALSE(h.state.nearest_decade_server("eu"));
    add("http://eu-1:8300", "eu", 0.9);
    add("http://eu-2:8300", "eu", 0.5);
    add("http://us-1:8300", "us", 0.1);
    add("http://ap-1:8300", "ap", 0.1);
    EXPECT_EQ(h.state.nearest_decade_server("eu")->url(), "http://eu-2:8300");
    EXPECT_EQ(h.state.nearest_decade_server("us")->url(), "http://us-1:8300");
    // No server in the region (or no region): least loaded overall, ties by URL.
    EXPECT_EQ(h.state.nearest_decade_server("sa")->url(), "http://ap-1:8300");
    EXPECT_EQ(h.state.nearest_decade_server("")->url(), "http://ap-1:8300");
    // Re-registering updates the load in place.
    add("http://eu-1:8300", "eu", 0.2);
    EXPECT_EQ(h.state.nearest_decade_server("eu")->url(), "http://eu-1:8300");

    ASSERT_TRUE(h.source(tracker_api::started));
    auto reply = h.decade_peer("d1", "eu");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->decade_server().url(), "http://eu-1:8300");
    // The member's home server is the assigned one, so that others see it.
    auto other = h.decade_peer("d2", "us");
    ASSERT_EQ(other->peers_size(), 1);
    EXPECT_EQ(other->peers(0).decade_server(), "http://eu-1:8300");
    EXPECT_EQ(other->peers(0).mode(), wire::decade);
    // Native peers are given no DECADE server.
    EXPECT_FALSE(h.peer("n1")->has_decade_server());
}

TEST(TrackerState, DecadeServersThatStopRegisteringAreForgotten) {
    Harness h;
    tracker_api::DecadeServerInfo s;
    s.set_url("http://eu-1:8300");
    s.set_region("eu");
    ASSERT_TRUE(h.state.register_decade_server(s, h.now));
    tracker_api::DecadeServerInfo fixed;
    fixed.set_url("http://us-1:8300");
    fixed.set_region("us");
    ASSERT_TRUE(h.state.register_decade_server(fixed, h.now, /*permanent=*/true));
    // Renewed at 60 s: still there at 140 s; gone after 150 s (90 s after the renewal).
    h.now += 60s;
    ASSERT_TRUE(h.state.register_decade_server(s, h.now));
    h.now += 80s;
    ASSERT_TRUE(h.source(tracker_api::started));
    EXPECT_EQ(h.decade_peer("d1", "eu")->decade_server().url(), "http://eu-1:8300");
    h.now += 11s;
    ASSERT_TRUE(h.source(tracker_api::heartbeat));
    // Its peers are sent to the server that remains (from the config file: permanent).
    EXPECT_EQ(h.decade_peer("d2", "eu")->decade_server().url(), "http://us-1:8300");
    EXPECT_EQ(h.state.nearest_decade_server("eu")->url(), "http://us-1:8300");
}

TEST(TrackerState, BadDecadeServerRegistrationsAreRejected) {
    Harness h;
    tracker_api::DecadeServerInfo s;
    EXPECT_EQ(h.state.register_decade_server(s, h.now).error().error, "bad_url");
    s.set_url("http://ok:1");
    s.set_load(1.5);
    EXPECT_EQ(h.state.register_decade_server(s, h.now).error().error, "bad_load");
    s.set_load(std::nan(""));
    EXPECT_EQ(h.state.register_decade_server(s, h.now).error().error, "bad_load");
    EXPECT_FALSE(h.state.nearest_decade_server(""));
}

TEST(TrackerState, RejectedAnnouncesChangeNothing) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started, 5));
    ASSERT_TRUE(h.peer("p1"));
    const std::string before = h.snapshot();

    struct Case {
        const char* name;
        std::string channel = "news";
        void (*edit)(tracker_api::AnnounceRequest&);
        unsigned status = 400;
        const char* error;
    };
    const Case cases[] = {
        {.name = "empty peer id",
         .edit = [](auto& r) { r.clear_peer_id(); },
         .error = "bad_peer_id"},
        {.name = "port 0",
         .edit = [](auto& r) { r.set_endpoint("1.2.3.4:0"); },
         .error = "bad_endpoint"},
        {.name = "port 70000",
         .edit = [](auto& r) { r.set_endpoint("1.2.3.4:70000"); },
         .error = "bad_endpoint"},
        {.name = "no endpoint",
         .edit = [](auto& r) { r.clear_endpoint(); },
         .error = "bad_endpoint"},
        {.name = "no event", .edit = [](auto& r) { r.clear_event(); }, .error = "bad_event"},
        {.name = "bad mode",
         .edit = [](auto& r) { r.set_mode(static_cast<wire::Mode>(9)); },
         .error = "bad_mode"},
        {.name = "bad decade url",
         .edit = [](auto& r) { r.set_decade_server("gopher://x"); },
         .error = "bad_url"},
        {.name = "bad region", .edit = [](auto& r) { r.set_region("a b"); }, .error = "bad_region"},
        {.name = "source field",
         .edit = [](auto& r) { r.set_live_edge(99); },
         .error = "source_only_field"},
        {.name = "unknown channel",
         .channel = "sport",
         .edit = [](auto&) {},
         .status = 404,
         .error = "unknown_channel"},
        {.name = "bad channel", .channel = "a b", .edit = [](auto&) {}, .error = "bad_channel"},
        {.name = "source without key",
         .edit =
             [](auto& r) {
                 r.set_is_source(true);
                 r.set_bitrate_bps(1);
             },
         .error = "bad_public_key"},
        {.name = "source without bitrate",
         .edit =
             [](auto& r) {
                 r.set_is_source(true);
                 r.set_public_key(std::string(32, 'k'));
             },
         .error = "bad_bitrate"},
        {.name = "unsigned hijack of the source",
         .edit =
             [](auto& r) {
                 r.set_is_source(true);
                 r.set_bitrate_bps(1);
                 r.set_public_key(std::string(32, 'x'));
             },
         .status = 401,
         .error = "announce_unsigned"},
        {.name = "viewer with the source's peer id",
         .edit = [](auto& r) { r.set_peer_id("src"); },
         .status = 409,
         .error = "source_conflict"},
        {.name = "viewer stopped with the source's peer id",
         .edit =
             [](auto& r) {
                 r.set_peer_id("src");
                 r.set_event(tracker_api::stopped);
             },
         .status = 409,
         .error = "source_conflict"},
    };
    for (const Case& c : cases) {
        tracker_api::AnnounceRequest r;
        r.set_peer_id("p1");  // an existing member: a bad heartbeat must not refresh it
        r.set_endpoint("10.9.9.9:7000");
        r.set_mode(wire::native);
        r.set_event(tracker_api::heartbeat);
        c.edit(r);
        auto reply = h.state.announce(c.channel, r, h.now);
        ASSERT_FALSE(reply) << c.name;
        EXPECT_EQ(reply.error().status, c.status) << c.name;
        EXPECT_EQ(reply.error().error, c.error) << c.name << ": " << reply.error().detail;
        EXPECT_FALSE(reply.error().detail.empty()) << c.name;
        EXPECT_EQ(h.snapshot(), before) << c.name;
    }
    // p1 was not refreshed by any of them: it expires 15 s after its real announce.
    h.now += 15s;
    EXPECT_EQ(h.state.channel_count(), 1u);
    EXPECT_EQ(h.state.expire(h.now), 1u);
}

TEST(TrackerState, CapsRefuseWith503) {
    TrackerConfig config;
    config.max_channels = 2;
    config.max_members_per_channel = 3;
    Harness h(config);
    ASSERT_TRUE(h.source(tracker_api::started, 0, "s1", "a"));
    ASSERT_TRUE(h.source(tracker_api::started, 0, "s2", "b"));
    auto third = h.source(tracker_api::started, 0, "s3", "c");
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().status, 503u);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(h.peer("p" + std::to_string(i), tracker_api::started, 0, "a"));
    }
    auto full = h.peer("p9", tracker_api::started, 0, "a");
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().error, "channel_full");
    // A member already in may still heartbeat.
    EXPECT_TRUE(h.peer("p0", tracker_api::heartbeat, 0, "a"));
}

TEST(TrackerState, GlobalMemberCapBoundsMemoryAcrossChannels) {
    TrackerConfig config;
    config.max_members = 4;
    Harness h(config);
    ASSERT_TRUE(h.source(tracker_api::started, 0, "s1", "a"));
    ASSERT_TRUE(h.source(tracker_api::started, 0, "s2", "b"));
    ASSERT_TRUE(h.peer("p1", tracker_api::started, 0, "a"));
    ASSERT_TRUE(h.peer("p2", tracker_api::started, 0, "a"));
    ASSERT_TRUE(h.peer("p3", tracker_api::started, 0, "b"));
    ASSERT_TRUE(h.peer("p4", tracker_api::started, 0, "b"));
    auto full = h.peer("p5", tracker_api::started, 0, "b");
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().status, 503u);
    EXPECT_EQ(full.error().error, "tracker_full");
    EXPECT_EQ(h.state.member_count(), 4u);
    // Leaving and expiry give room back.
    ASSERT_TRUE(h.peer("p1", tracker_api::stopped, 0, "a"));
    EXPECT_EQ(h.state.member_count(), 3u);
    ASSERT_TRUE(h.peer("p5", tracker_api::started, 0, "b"));
    h.now += 15s;
    h.state.expire(h.now);
    EXPECT_EQ(h.state.member_count(), 0u);
    ASSERT_TRUE(h.source(tracker_api::started, 0, "s1", "a"));
    EXPECT_TRUE(h.peer("p6", tracker_api::started, 0, "a"));
}

TEST(TrackerState, WildcardEndpointTakesTheTransportsAddress) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    tracker_api::AnnounceRequest r;
    r.set_peer_id("p1");
    r.set_endpoint("0.0.0.0:7000");
    r.set_event(tracker_api::started);
    ASSERT_TRUE(h.state.announce("news", r, h.now, "192.0.2.8"));
    r.set_peer_id("p2");
    r.set_endpoint("[::]:7001");
    ASSERT_TRUE(h.state.announce("news", r, h.now, "2001:db8::1"));
    std::set<std::string> endpoints;
    const auto reply = h.peer("p3");
    for (const auto& p : reply->peers()) {
        endpoints.insert(p.endpoint());
    }
    EXPECT_EQ(endpoints, (std::set<std::string>{"192.0.2.8:7000", "[2001:db8::1]:7001"}));
}

TEST(TrackerState, TimeGoingBackwardsIsClamped) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    ASSERT_TRUE(h.peer("p1"));
    h.now -= 100s;
    ASSERT_TRUE(h.peer("p2"));  // treated as heard at the newest time seen
    EXPECT_EQ(h.state.expire(TimePoint{1015s}), 2u);
}

TEST(TrackerState, HoldsTenThousandMembersAndAThousandChannels) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    for (int i = 0; i < 10'000; ++i) {
        ASSERT_TRUE(h.peer("m" + std::to_string(i)));
    }
    for (int c = 0; c < 1'000; ++c) {
        const std::string ch = "ch" + std::to_string(c);
        ASSERT_TRUE(h.source(tracker_api::started, 0, "s", ch));
        ASSERT_TRUE(h.peer("x", tracker_api::started, 0, ch));
    }
    EXPECT_EQ(h.members(), 10'000u);
    EXPECT_EQ(h.state.channel_count(), 1'001u);
    EXPECT_EQ(h.state.member_count(), 11'000u);
    h.now += 1s;
    EXPECT_EQ(h.peer("m5", tracker_api::heartbeat, 50)->peers_size(), 50);
    h.now += 14s;
    EXPECT_EQ(h.state.expire(h.now), 10'999u);  // all but m5
    EXPECT_EQ(h.state.channel_count(), 1u);
}

TEST(TrackerState, MetricsCountAnnouncesMembersAndErrors) {
    Harness h;
    ASSERT_TRUE(h.source(tracker_api::started));
    ASSERT_TRUE(h.peer("p1"));
    ASSERT_TRUE(h.peer("p1", tracker_api::heartbeat));
    h.state.count_error("bad_json");
    const std::string text = h.state.render_metrics(h.now);
    EXPECT_NE(text.find("p2pls_tracker_announces_total{event=\"started\"} 2"), std::string::npos)
        << text;
    EXPECT_NE(text.find("p2pls_tracker_announces_total{event=\"heartbeat\"} 1"), std::string::npos);
    EXPECT_NE(text.find("p2pls_tracker_members{channel=\"news\"} 1"), std::string::npos);
    EXPECT_NE(text.find("p2pls_tracker_errors_total{error=\"bad_json\"} 1"), std::string::npos);
    EXPECT_NE(text.find("p2pls_tracker_channels 1"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::tracker
