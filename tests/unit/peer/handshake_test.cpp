// The judgement of a Hello, as a table of cases, and the messages a peer builds.
#include "peer/core/handshake.hpp"

#include <gtest/gtest.h>

#include "common/core/peer_codec.hpp"

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

wire::Hello hello(const std::string& peer, std::string channel = "ch",
                  std::uint32_t version = kWireVersion) {
    wire::Hello h;
    h.set_version(version);
    h.set_channel(channel);
    h.set_peer_id(peer);
    h.set_listen_endpoint(peer + ":1");
    return h;
}

EngineConfig config() {
    EngineConfig c;
    c.channel = "ch";
    c.peer_id = PeerId{"m"};
    return c;
}

struct Case {
    const char* name;
    wire::Hello hello;
    bool outbound = false;
    std::string dialled{};    // the endpoint we dialled (outbound)
    Errc refused = Errc::ok;  // ok = accepted
};

TEST(Handshake, HelloIsRefusedForEachReasonAndAcceptedOtherwise) {
    NeighborTable table(16, 256);
    table.ban_endpoint("bad:1");
    table.ban_endpoint("evil:1");
    table.penalize(PeerId{"slow"}, "slow:1", t0 + 1s);
    wire::Hello evil_endpoint = hello("fresh");
    evil_endpoint.set_listen_endpoint("evil:1");
    const Case cases[] = {
        {.name = "fine", .hello = hello("p")},
        {.name = "version",
         .hello = hello("p", "ch", kWireVersion + 1),
         .refused = Errc::version_mismatch},
        {.name = "channel", .hello = hello("p", "other"), .refused = Errc::channel_mismatch},
        {.name = "itself", .hello = hello("m"), .refused = Errc::message_unexpected},
        {.name = "banned", .hello = hello("bad"), .refused = Errc::signature_invalid},
        {.name = "banned endpoint", .hello = evil_endpoint, .refused = Errc::signature_invalid},
        {.name = "penalised", .hello = hello("slow"), .refused = Errc::busy},
        // We dialled a clean endpoint: its Hello cannot swap in a banned one.
        {.name = "dialled", .hello = evil_endpoint, .outbound = true, .dialled = "fresh:9"},
    };
    for (const Case& c : cases) {
        Neighbor n;
        n.id = NeighborId{99};
        n.outbound = c.outbound;
        n.endpoint = c.dialled;
        const HelloVerdict v = judge_hello(c.hello, n, table, config(), t0);
        EXPECT_EQ(v.refusal ? v.refusal->code : Errc::ok, c.refused) << c.name;
        EXPECT_FALSE(v.replaces) << c.name;
    }
    Neighbor again;
    again.established = true;
    EXPECT_EQ(judge_hello(hello("p"), again, table, config(), t0).refusal->detail, "second Hello");
    // The penalty ends.
    Neighbor n;
    EXPECT_FALSE(judge_hello(hello("slow"), n, table, config(), t0 + 1s).refusal);
}

TEST(Handshake, OfTwoConnectionsBothEndsKeepTheOneTheSmallerIdOpened) {
    for (const bool old_outbound : {false, true}) {
        for (const bool new_outbound : {false, true}) {
            for (const std::string peer : {"a", "z"}) {  // smaller / larger than "m"
                NeighborTable table(16, 256);
                Neighbor old;
                old.id = NeighborId{1};
                old.established = true;
                old.outbound = old_outbound;
                old.peer_id = PeerId{peer};
                table.add(old);
                Neighbor fresh;
                fresh.id = NeighborId{2};
                fresh.outbound = new_outbound;
                const HelloVerdict v = judge_hello(hello(peer), fresh, table, config(), t0);
                const std::string& opener_old = old_outbound ? "m" : peer;
                const std::string& opener_new = new_outbound ? "m" : peer;
                const bool keep_new = opener_new != opener_old && opener_new < opener_old;
                const std::string what = peer + (old_outbound ? " old out" : " old in") +
                                         (new_outbound ? " new out" : " new in");
                EXPECT_EQ(v.refusal.has_value(), !keep_new) << what;
                EXPECT_EQ(v.replaces.has_value(), keep_new) << what;
            }
        }
    }
}

TEST(Handshake, MessagesSayWhatTheEngineKnows) {
    EngineConfig c = config();
    c.listen_endpoint = "me:5";
    c.decade.enabled = true;
    c.decade.server = "http://d:1";
    const std::string nonce = hello_nonce(c.nonce_key, 1);
    const auto h = make_hello(c, nonce).hello();
    EXPECT_EQ(h.nonce(), nonce);
    EXPECT_EQ(nonce.size(), kHelloNonceBytes);
    EXPECT_NE(hello_nonce(c.nonce_key, 2), nonce);
    c.nonce_key[0] ^= 1;
    EXPECT_NE(hello_nonce(c.nonce_key, 1), nonce) << "the key must change the nonces";
    EXPECT_EQ(h.mode(), wire::decade);
    EXPECT_EQ(h.decade_server(), "http://d:1");
    EXPECT_EQ(h.listen_endpoint(), "me:5");
    EXPECT_FALSE(h.is_source());

    ChunkStore store(8, ChunkSeq{100});
    wire::Chunk chunk;
    chunk.set_seq(102);
    store.insert(std::make_shared<const wire::Chunk>(chunk));
    const auto bm = make_buffer_map(store, ChunkSeq{110}, ChunkSeq{101}, std::nullopt).buffer_map();
    EXPECT_EQ(bm.base(), 100u);
    EXPECT_EQ(bm.window(), 8u);
    EXPECT_EQ(bm.live_edge(), 110u);
    EXPECT_EQ(bm.playhead(), 101u);
    auto map = ChunkBitmap::decode(ChunkSeq{bm.base()}, bm.window(), bm.bits());
    ASSERT_TRUE(map);
    EXPECT_TRUE(map->test(ChunkSeq{102}));
    EXPECT_FALSE(map->test(ChunkSeq{101}));
    const auto origin = make_buffer_map(store, ChunkSeq{110}, std::nullopt, 2500).buffer_map();
    EXPECT_FALSE(origin.has_playhead());
    EXPECT_EQ(origin.first_fetch_ppm(), 2500u);
    EXPECT_EQ(make_have(ChunkSeq{7}).have().seqs(0), 7u);
    const std::vector<ChunkSeq> batch{ChunkSeq{8}, ChunkSeq{9}};
    const auto both = make_have(batch).have();
    ASSERT_EQ(both.seqs_size(), 2);
    EXPECT_EQ(both.seqs(0), 8u);
    EXPECT_EQ(both.seqs(1), 9u);
    EXPECT_EQ(make_bye("x").bye().reason(), "x");
}

}  // namespace
}  // namespace p2pls::peer
