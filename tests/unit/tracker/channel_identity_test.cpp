// A channel belongs to its key: bindings, pins, 401/409, stale and replayed announces, the
// state file across a restart, and authenticated DECADE server registration.
#include <gtest/gtest.h>

#include "common/core/proto_json.hpp"
#include "common/core/registration_proof.hpp"
#include "tests/support/signed_source.hpp"
#include "tracker/core/api.hpp"
#include "tracker/core/tracker_state.hpp"

namespace p2pls::tracker {
namespace {

using namespace std::chrono_literals;
using testing::SourceSigner;

constexpr std::int64_t kUnixMs = 1'800'000'000'000;

tracker_api::AnnounceRequest source_request(tracker_api::Event event = tracker_api::started,
                                            std::string id = "src") {
    tracker_api::AnnounceRequest r;
    r.set_peer_id(std::move(id));
    r.set_endpoint("10.0.0.1:9000");
    r.set_event(event);
    r.set_is_source(true);
    r.set_bitrate_bps(1'000'000);
    r.set_live_edge(7);
    return r;
}

struct Tracker {
    explicit Tracker(TrackerConfig config = {}) : state(std::move(config), 5) {}
    TrackerState state;
    TimePoint now{100s};
    std::int64_t unix_ms = kUnixMs;

    Expected<tracker_api::AnnounceResponse> announce(const tracker_api::AnnounceRequest& r,
                                                     std::string channel = "news") {
        return state.announce(channel, r, now, {}, unix_ms);
    }
    Expected<tracker_api::AnnounceResponse> source(SourceSigner& signer,
                                                   tracker_api::Event event = tracker_api::started,
                                                   std::string channel = "news") {
        auto r = source_request(event);
        signer.sign(r, channel, unix_ms);
        return announce(r, channel);
    }
    std::string key_of(const std::string& channel) {
        auto info = state.channel_info(channel, now);
        return info ? info->public_key() : std::string();
    }
    bool has_source(const std::string& channel) {
        auto info = state.channel_info(channel, now);
        return info && !info->source_endpoint().empty();
    }
};

TEST(ChannelIdentity, TheFirstKeyBindsTheNameAndAnotherKeyGets409) {
    Tracker t;
    SourceSigner owner(testing::source_keys(1));
    SourceSigner thief(testing::source_keys(2));
    ASSERT_TRUE(t.source(owner));
    auto stolen = t.source(thief);
    ASSERT_FALSE(stolen);
    EXPECT_EQ(stolen.error().status, 409u);
    EXPECT_EQ(stolen.error().error, "channel_key_conflict");
    EXPECT_EQ(t.key_of("news"), owner.public_key());
    // Even after the owner's source left and the channel emptied, the name stays bound.
    ASSERT_TRUE(t.source(owner, tracker_api::stopped));
    EXPECT_EQ(t.state.channel_count(), 0u);
    auto later = t.source(thief);
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().error, "channel_key_conflict");
    EXPECT_TRUE(t.source(owner));
}

TEST(ChannelIdentity, UnsignedForgedAndStaleAnnouncesGet401AndChangeNothing) {
    Tracker t;
    SourceSigner owner;
    ASSERT_TRUE(t.source(owner));
    const std::string before = to_json(t.state.channels(t.now));

    auto unsigned_r = source_request();
    unsigned_r.set_public_key(owner.public_key());
    unsigned_r.set_endpoint("6.6.6.6:1");

    // Claims the owner's key, signed by another one.
    SourceSigner forger(testing::source_keys(9));
    auto forged = source_request();
    forged.set_endpoint("6.6.6.6:1");
    forger.sign(forged, "news", kUnixMs + 5);
    forged.set_public_key(owner.public_key());

    // Signed by the owner, but for another channel name.
    auto other_channel = source_request();
    owner.sign(other_channel, "sport", kUnixMs + 10);

    // A signed stopped whose fields were changed after signing.
    auto tampered_stop = source_request(tracker_api::stopped);
    owner.sign(tampered_stop, "news", kUnixMs + 20);
    tampered_stop.set_live_edge(8);

    // Properly signed, but an hour old.
    SourceSigner old_clock;
    auto stale = source_request();
    old_clock.sign(stale, "news", kUnixMs - 3'600'000);

    struct Case {
        const char* name;
        tracker_api::AnnounceRequest request;
        const char* error;
    };
    const Case cases[] = {
        {"unsigned", unsigned_r, "announce_unsigned"},
        {"signed by another key", forged, "announce_bad_signature"},
        {"signed for another channel", other_channel, "announce_bad_signature"},
        {"tampered stopped", tampered_stop, "announce_bad_signature"},
        {"outside the clock skew", stale, "announce_stale"},
    };
    for (const auto& c : cases) {
        auto r = t.announce(c.request);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error().status, 401u) << c.name;
        EXPECT_EQ(r.error().error, c.error) << c.name << ": " << r.error().detail;
        EXPECT_EQ(to_json(t.state.channels(t.now)), before) << c.name;
    }
    EXPECT_TRUE(t.has_source("news"));
}

TEST(ChannelIdentity, AReplayedAnnounceOrStoppedIsStale) {
    Tracker t;
    SourceSigner owner;
    auto first = source_request();
    owner.sign(first, "news", kUnixMs);
    ASSERT_TRUE(t.announce(first));
    auto stop = source_request(tracker_api::stopped);
    owner.sign(stop, "news", kUnixMs + 1);
    ASSERT_TRUE(t.announce(stop));
    ASSERT_TRUE(t.source(owner));  // the source comes back
    // The captured stopped, sent again within the skew, must not remove it.
    auto replay = t.announce(stop);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().error, "announce_stale");
    EXPECT_TRUE(t.has_source("news"));
    EXPECT_FALSE(t.announce(first));
}

TEST(ChannelIdentity, AnOperatorPinWinsOverTheFirstClaim) {
    SourceSigner owner(testing::source_keys(1));
    SourceSigner squatter(testing::source_keys(2));
    TrackerConfig config;
    config.pinned_keys["news"] = owner.keys().public_key;
    Tracker t(config);
    auto squat = t.source(squatter);
    ASSERT_FALSE(squat);
    EXPECT_EQ(squat.error().error, "channel_key_conflict");
    EXPECT_EQ(t.state.channel_count(), 0u);
    ASSERT_TRUE(t.source(owner));
    // Pins are config, not state: the state file holds no binding for them.
    EXPECT_FALSE(t.state.channel_keys().take_changed());
}

TEST(ChannelIdentity, BindingsSurviveARestartThroughTheStateFile) {
    SourceSigner owner(testing::source_keys(1));
    SourceSigner thief(testing::source_keys(2));
    std::string file;
    {
        Tracker t;
        ASSERT_TRUE(t.source(owner));
        ASSERT_TRUE(t.state.channel_keys().take_changed());
        file = t.state.channel_keys().serialize();
        EXPECT_FALSE(t.state.channel_keys().take_changed());
    }
    Tracker restarted;
    ASSERT_EQ(restarted.state.channel_keys().load(file), std::nullopt);
    auto claim = restarted.source(thief);
    ASSERT_FALSE(claim);
    EXPECT_EQ(claim.error().status, 409u);
    EXPECT_TRUE(restarted.source(owner));
    EXPECT_EQ(restarted.state.channel_keys().serialize(), file);
}

TEST(ChannelIdentity, ABrokenStateFileIsRefusedWholeWithItsLine) {
    const std::string header = "p2pls-tracker channel keys v1\n";
    const std::string key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    struct Case {
        std::string text;
        const char* mentions;
    };
    const Case cases[] = {
        {"", "empty"},
        {"something else\n", "line 1"},
        {header + "news\n", "line 2"},
        {header + "news " + key + "\nbad/name " + key + "\n", "line 3"},
        {header + "news AAAA\n", "32 bytes"},
    };
    for (const auto& c : cases) {
        ChannelKeys keys;
        const auto why = keys.load(c.text);
        ASSERT_TRUE(why.has_value()) << c.text;
        EXPECT_NE(why->find(c.mentions), std::string::npos) << *why;
        EXPECT_EQ(keys.bindings(), 0u) << c.text;
    }
    ChannelKeys keys;
    EXPECT_EQ(keys.load(header + "news " + key + "\r\n\n"), std::nullopt);
    EXPECT_EQ(keys.bindings(), 1u);
}

TEST(ChannelIdentity, TheChannelInfoRelaysTheSignedStatementAsSigned) {
    Tracker t;
    SourceSigner owner;
    auto r = source_request();
    r.set_endpoint("0.0.0.0:9000");  // the tracker rewrites it; the statement keeps it
    owner.sign(r, "news", kUnixMs);
    auto reply = t.state.announce("news", r, t.now, "10.1.2.3", kUnixMs);
    ASSERT_TRUE(reply);
    const auto& c = reply->channel();
    EXPECT_EQ(c.source_endpoint(), "10.1.2.3:9000");
    EXPECT_EQ(c.source_signed_endpoint(), "0.0.0.0:9000");
    SourceStatement s;
    s.channel = "news";
    s.peer_id = c.source_peer_id();
    s.endpoint = c.source_signed_endpoint();
    s.epoch = *source_epoch_from_bytes(c.source_epoch());
    s.live_edge = c.live_edge();
    s.timestamp_ms = static_cast<std::int64_t>(c.source_timestamp_ms());
    EXPECT_TRUE(verify_source_statement(owner.keys().public_key, s, c.source_signature()));
}

// --- DECADE server registration ---------------------------------------------------------

RegistrationKey key_of_byte(unsigned char b) {
    RegistrationKey k{};
    k.fill(b);
    return k;
}

ApiResponse register_server(TrackerState& state, std::string_view body, std::string_view ts,
                            std::string_view proof, std::int64_t unix_ms = kUnixMs) {
    return handle_request(state,
                          ApiRequest{.method = "POST",
                                     .target = "/v1/decade-servers",
                                     .body = body,
                                     .remote_host = "127.0.0.1",
                                     .unix_ms = unix_ms,
                                     .proof_timestamp = ts,
                                     .proof = proof},
                          TimePoint{10s});
}

TEST(ServerRegistration, OnlyAValidFreshProofRegistersAndNothingElseChangesTheChoice) {
    TrackerConfig config;
    config.server_credentials.shared_key = key_of_byte(1);
    config.server_credentials.per_server["http://127.0.0.1:8400"] = key_of_byte(2);
    TrackerState state(config, 1);
    const std::string good = R"({"url":"http://127.0.0.1:8300","load":0.5})";
    const std::string ts = std::to_string(kUnixMs);
    ASSERT_EQ(
        register_server(state, good, ts, make_registration_proof(key_of_byte(1), kUnixMs, good))
            .status,
        200u);

    const std::string fake = R"({"url":"http://127.0.0.1:9999","load":0})";
    const std::string per_server = R"({"url":"http://127.0.0.1:8400","load":0})";
    struct Case {
        const char* name;
        std::string body;
        std::string ts;
        std::string proof;
        std::int64_t now_ms = kUnixMs;
    };
    const Case cases[] = {
        {"no proof", fake, "", ""},
        {"wrong key", fake, ts, make_registration_proof(key_of_byte(7), kUnixMs, fake)},
        {"proof of another body", fake, ts, make_registration_proof(key_of_byte(1), kUnixMs, good)},
        {"proof for another time", fake, std::to_string(kUnixMs + 1),
         make_registration_proof(key_of_byte(1), kUnixMs, fake)},
        {"stale proof", fake, ts, make_registration_proof(key_of_byte(1), kUnixMs, fake),
         kUnixMs + 60'000},
        {"garbage timestamp", fake, "soon", make_registration_proof(key_of_byte(1), kUnixMs, fake)},
        {"shared key for a server with its own", per_server, ts,
         make_registration_proof(key_of_byte(1), kUnixMs, per_server)},
    };
    for (const auto& c : cases) {
        const auto r = register_server(state, c.body, c.ts, c.proof, c.now_ms);
        EXPECT_EQ(r.status, 401u) << c.name << ": " << r.body;
        EXPECT_NE(r.body.find("registration_unauthorized"), std::string::npos) << c.name;
        const auto* nearest = state.nearest_decade_server("");
        ASSERT_NE(nearest, nullptr);
        EXPECT_EQ(nearest->url(), "http://127.0.0.1:8300") << c.name;
    }
    // The per-server key registers its own server (load 0 then wins: it is registered).
    EXPECT_EQ(register_server(state, per_server, ts,
                              make_registration_proof(key_of_byte(2), kUnixMs, per_server))
                  .status,
              200u);
    EXPECT_EQ(state.nearest_decade_server("")->url(), "http://127.0.0.1:8400");
}

TEST(ServerRegistration, ATrackerWithNoKeyRefusesEveryRegistration) {
    TrackerState state(TrackerConfig{}, 1);
    const std::string body = R"({"url":"http://127.0.0.1:8300","load":0})";
    const auto r = register_server(state, body, std::to_string(kUnixMs),
                                   make_registration_proof(key_of_byte(1), kUnixMs, body));
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(state.nearest_decade_server(""), nullptr);
}

}  // namespace
}  // namespace p2pls::tracker
