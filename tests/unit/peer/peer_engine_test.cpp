// The engine as a whole, driven by hand: events in, actions out. Each test is a small
// conversation with one or two fake neighbours.
#include "peer/core/peer_engine.hpp"

#include <gtest/gtest.h>

#include "common/core/announce_signature.hpp"
#include "common/core/peer_codec.hpp"
#include "peer/core/first_fetch.hpp"

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;
const KeyPair kKeys = keypair_from_seed(KeySeed{1, 2, 3});
const KeyPair kOtherKeys = keypair_from_seed(KeySeed{9});

wire::Chunk make_chunk(std::uint64_t seq, const KeyPair& keys = kKeys, std::string channel = "ch") {
    wire::Chunk c;
    c.set_seq(seq);
    c.set_timestamp_us(static_cast<std::int64_t>(seq) * 1'000'000);
    c.set_duration_us(1'000'000);
    c.set_payload(std::string(1000, static_cast<char>('a' + seq % 26)));
    sign_chunk(keys.secret_key, channel, c);
    return c;
}

wire::PeerMessage hello(const std::string& peer, bool source = false, std::string channel = "ch",
                        std::uint32_t version = kWireVersion) {
    wire::PeerMessage m;
    auto* h = m.mutable_hello();
    h->set_version(version);
    h->set_channel(channel);
    h->set_peer_id(peer);
    h->set_is_source(source);
    h->set_listen_endpoint(peer + ":1");
    return m;
}

// The nonce of the last Hello among `actions`.
std::string nonce_sent(const std::vector<Action>& actions) {
    std::string nonce;
    for (const Action& a : actions) {
        if (const auto* m = std::get_if<SendMessage>(&a); m && m->message.has_hello()) {
            nonce = m->message.hello().nonce();
        }
    }
    return nonce;
}

// The source's answer to `nonce`, made with `keys` (the channel's, unless a test forges).
wire::PeerMessage source_proof(const std::string& nonce, const KeyPair& keys = kKeys,
                               const std::string& peer = "src") {
    SourceStatement s;
    s.kind = SourceStatementKind::hello_proof;
    s.channel = "ch";
    s.peer_id = peer;
    s.nonce = nonce;
    const Signature sig = sign_source_statement(keys.secret_key, s);
    wire::PeerMessage m;
    m.mutable_source_proof()->set_signature(reinterpret_cast<const char*>(sig.data()), sig.size());
    return m;
}

// The tracker lists the source at s:1, we dial it, and it proves the channel key for
// our nonce: only then is its is_source believed.
void connect_source(PeerEngine& e, NeighborId id) {
    e.on_peer_list({{PeerId{"src"}, "s:1", true}}, std::nullopt, t0);
    e.on_neighbor_connected(id, "s:1", true, t0);
    const std::string nonce = nonce_sent(e.take_actions());
    e.on_message(id, hello("src", true), t0);
    e.on_message(id, source_proof(nonce), t0);
}

// A buffer map of window 64 from `base` with "xx.x" from base.
wire::PeerMessage buffer_map(std::uint64_t base, const std::string& held, std::uint64_t live) {
    ChunkBitmap map(64, ChunkSeq{base});
    for (std::size_t i = 0; i < held.size(); ++i) {
        if (held[i] == 'x') {
            map.set(ChunkSeq{base + i});
        }
    }
    wire::PeerMessage m;
    auto* bm = m.mutable_buffer_map();
    bm->set_base(base);
    bm->set_window(64);
    bm->set_bits(map.encode());
    bm->set_live_edge(live);
    return m;
}

wire::PeerMessage request(std::vector<std::uint64_t> seqs, bool due_soon = false) {
    wire::PeerMessage m;
    for (auto s : seqs) {
        m.mutable_request()->add_seqs(s);
    }
    m.mutable_request()->set_due_soon(due_soon);
    return m;
}

wire::PeerMessage chunk_message(const wire::Chunk& c) {
    wire::PeerMessage m;
    *m.mutable_chunk() = c;
    return m;
}

EngineConfig config(bool origin = false) {
    EngineConfig c;
    c.channel = "ch";
    c.peer_id = PeerId{origin ? "src" : "me"};
    c.public_key = kKeys.public_key;
    c.origin = origin;
    return c;
}

// Actions of a kind, for assertions.
template <class T>
std::vector<T> only(const std::vector<Action>& actions) {
    std::vector<T> out;
    for (const Action& a : actions) {
        if (const T* t = std::get_if<T>(&a)) {
            out.push_back(*t);
        }
    }
    return out;
}

std::optional<Disconnect> disconnect_of(const std::vector<Action>& actions, NeighborId id) {
    for (const auto& d : only<Disconnect>(actions)) {
        if (d.who == id) {
            return d;
        }
    }
    return std::nullopt;
}

// The seqs served in `actions`.
std::vector<std::uint64_t> served(const std::vector<Action>& actions) {
    std::vector<std::uint64_t> out;
    for (const auto& c : only<SendChunk>(actions)) {
        out.push_back(c.chunk->seq());
    }
    return out;
}

const NeighborId kA{1};
const NeighborId kB{2};

// An engine with neighbour A connected and past Hello.
struct Fixture {
    explicit Fixture(EngineConfig c = config()) : engine(std::move(c), 1, t0) {
        engine.on_neighbor_connected(kA, "a:1", true, t0);
        engine.on_message(kA, hello("a"), t0);
        actions = engine.take_actions();
    }
    std::vector<Action> step(NeighborId from, const wire::PeerMessage& m, Duration at = 0s) {
        engine.on_message(from, m, t0 + at);
        return engine.take_actions();
    }
    PeerEngine engine;
    std::vector<Action> actions;
};

// A neighbour that says is_source on a connection it opened to us, or on one we dialed to
// another endpoint than the tracker's source, is a peer: its huge live edge moves nothing.
TEST(PeerEngine, AnUnprovenSourceClaimIsNotBelieved) {
    for (const bool outbound : {false, true}) {
        PeerEngine e(config(), 1, t0);
        e.on_peer_list({{PeerId{"src"}, "s:1", true}}, ChunkSeq{50}, t0);
        e.on_neighbor_connected(kA, outbound ? "x:9" : "", outbound, t0);
        e.on_message(kA, hello("liar", true), t0);
        e.on_message(kA, buffer_map(1'000'000, "x", 1'000'000), t0);
        ASSERT_TRUE(e.live_edge().has_value());
        EXPECT_LT(e.live_edge()->value(), 1'000'000u) << (outbound ? "dialed" : "inbound");
    }
}

// At the source's own endpoint, a Hello saying is_source is believed only once its proof
// verifies: with the channel key, for this connection's nonce. A proof with another key,
// or one replayed from another connection, closes the connection; the live edge it sent
// moves nothing.
TEST(PeerEngine, AClaimedSourceIsBelievedOnlyWithAProofOfTheChannelKey) {
    PeerEngine e(config(), 1, t0);
    e.on_peer_list({{PeerId{"src"}, "s:1", true}}, ChunkSeq{50}, t0);
    std::string previous;
    // Forged key, nonce of the previous connection, another source id; then the real one.
    for (int variant = 0; variant < 4; ++variant) {
        const NeighborId id{static_cast<std::uint32_t>(10 + variant)};
        e.on_neighbor_connected(id, "s:1", true, t0);
        const std::string nonce = nonce_sent(e.take_actions());
        ASSERT_EQ(nonce.size(), kHelloNonceBytes);
        EXPECT_NE(nonce, previous) << "a nonce must differ per connection";
        e.on_message(id, hello("src", true), t0);
        e.on_message(id, buffer_map(1'000'000, "x", 1'000'000), t0);
        EXPECT_LT(e.live_edge()->value(), 1'000'000u) << "believed before its proof";
        const auto proof = variant == 0   ? source_proof(nonce, kOtherKeys)
                           : variant == 1 ? source_proof(previous)
                           : variant == 2 ? source_proof(nonce, kKeys, "another-id")
                                          : source_proof(nonce);
        e.on_message(id, proof, t0);
        const auto actions = e.take_actions();
        const bool honest = variant == 3;
        EXPECT_EQ(only<Disconnect>(actions).empty(), honest) << "variant " << variant;
        if (honest) {
            ASSERT_NE(e.neighbors().find(id), nullptr);
            EXPECT_TRUE(e.neighbors().find(id)->is_source);
        } else {
            EXPECT_EQ(only<Disconnect>(actions)[0].reason, Errc::signature_invalid);
            EXPECT_EQ(e.neighbors().find(id), nullptr);
            e.on_neighbor_lost(id, Errc::signature_invalid, t0);
        }
        previous = nonce;
    }
}

// The source signs each viewer's nonce, and sends the proof before its first map.
TEST(PeerEngine, TheSourceAnswersEachHelloNonceWithItsProof) {
    EngineConfig c = config(true);
    c.source_key = kKeys.secret_key;
    PeerEngine e(c, 1, t0);
    ASSERT_TRUE(e.publish_local_chunk(make_chunk(5), t0));
    e.on_neighbor_connected(kA, "", false, t0);
    e.take_actions();
    auto h = hello("a");
    const std::string nonce(kHelloNonceBytes, 'n');
    h.mutable_hello()->set_nonce(nonce);
    e.on_message(kA, h, t0);
    const auto sent = only<SendMessage>(e.take_actions());
    ASSERT_EQ(sent.size(), 2u);
    ASSERT_TRUE(sent[0].message.has_source_proof());
    EXPECT_TRUE(sent[1].message.has_buffer_map());
    SourceStatement s;
    s.kind = SourceStatementKind::hello_proof;
    s.channel = "ch";
    s.peer_id = "src";
    s.nonce = nonce;
    EXPECT_TRUE(
        verify_source_statement(kKeys.public_key, s, sent[0].message.source_proof().signature()));
    const std::string other_nonce(kHelloNonceBytes, 'm');
    s.nonce = other_nonce;  // a view: the string must outlive the check
    EXPECT_FALSE(
        verify_source_statement(kKeys.public_key, s, sent[0].message.source_proof().signature()));
}

// Serving one seq twice would spend the upload budget twice on one chunk.
TEST(PeerEngine, ARequestListingASeqTwiceIsDropped) {
    PeerEngine e(config(true), 1, t0);
    ASSERT_TRUE(e.publish_local_chunk(make_chunk(5), t0));
    e.on_neighbor_connected(kA, "", false, t0);
    e.on_message(kA, hello("a"), t0);
    e.take_actions();
    e.on_message(kA, request(std::vector<std::uint64_t>(64, 5)), t0);
    const auto actions = e.take_actions();
    EXPECT_TRUE(only<SendChunk>(actions).empty());
    ASSERT_EQ(only<Disconnect>(actions).size(), 1u);
    EXPECT_EQ(only<Disconnect>(actions)[0].reason, Errc::message_malformed);
}

TEST(PeerEngine, SaysHelloOnConnectAndSendsItsMapAfterTheirs) {
    PeerEngine e(config(true), 1, t0);
    ASSERT_TRUE(e.publish_local_chunk(make_chunk(5), t0));
    e.on_neighbor_connected(kA, "", false, t0);
    auto sent = only<SendMessage>(e.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].message.has_hello());
    EXPECT_TRUE(sent[0].message.hello().is_source());
    e.on_message(kA, hello("a"), t0);
    sent = only<SendMessage>(e.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_TRUE(sent[0].message.has_buffer_map());
    EXPECT_EQ(sent[0].message.buffer_map().live_edge(), 5u);
}

struct BadInputCase {
    const char* name;
    wire::PeerMessage message;
    Errc reason;
};

TEST(PeerEngine, BadInputDisconnectsThatNeighbourOnly) {
    wire::PeerMessage short_map = buffer_map(0, "x", 5);
    short_map.mutable_buffer_map()->set_bits("\x01");  // 1 byte for 64 bits
    wire::PeerMessage huge_window = buffer_map(0, "x", 5);
    huge_window.mutable_buffer_map()->set_window(1'000'000);
    wire::PeerMessage huge_have;
    for (int i = 0; i < 1000; ++i) {
        huge_have.mutable_have()->add_seqs(static_cast<std::uint64_t>(i));
    }
    const std::vector<BadInputCase> cases = {
        {"second hello", hello("a"), Errc::message_unexpected},
        {"wrong-length buffer map", short_map, Errc::bitmap_length_mismatch},
        {"window above the cap", huge_window, Errc::bitmap_window_invalid},
        {"unsolicited chunk", chunk_message(make_chunk(3)), Errc::message_unexpected},
        {"empty request", request({}), Errc::message_malformed},
        {"have listing 1000 seqs", huge_have, Errc::message_malformed},
        {"empty message", wire::PeerMessage{}, Errc::message_malformed},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Fixture f;
        f.engine.on_neighbor_connected(kB, "b:1", true, t0);
        f.engine.on_message(kB, hello("b"), t0);
        f.engine.take_actions();
        const auto actions = f.step(kA, c.message);
        const auto d = disconnect_of(actions, kA);
        ASSERT_TRUE(d.has_value());
        EXPECT_EQ(d->reason, c.reason) << d->detail;
        EXPECT_FALSE(disconnect_of(actions, kB).has_value());
        EXPECT_EQ(f.engine.neighbors().find(kA), nullptr);
        EXPECT_NE(f.engine.neighbors().find(kB), nullptr);
    }
}

TEST(PeerEngine, HelloForAnotherChannelOrVersionIsRefused) {
    for (const auto& [m, reason] : std::vector<std::pair<wire::PeerMessage, Errc>>{
             {hello("x", false, "other"), Errc::channel_mismatch},
             {hello("x", false, "ch", 99), Errc::version_mismatch}}) {
        PeerEngine e(config(), 1, t0);
        e.on_neighbor_connected(kA, "", false, t0);
        e.take_actions();
        e.on_message(kA, m, t0);
        const auto d = disconnect_of(e.take_actions(), kA);
        ASSERT_TRUE(d.has_value());
        EXPECT_EQ(d->reason, reason);
    }
}

TEST(PeerEngine, MessageBeforeHelloIsRefused) {
    PeerEngine e(config(), 1, t0);
    e.on_neighbor_connected(kA, "", false, t0);
    e.take_actions();
    e.on_message(kA, request({1}), t0);
    const auto d = disconnect_of(e.take_actions(), kA);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->reason, Errc::message_unexpected);
}

TEST(PeerEngine, RequestFarOutOfWindowIsRefused) {
    Fixture f(config(true));
    ASSERT_TRUE(f.engine.publish_local_chunk(make_chunk(100), t0));
    f.engine.take_actions();
    const auto d = disconnect_of(f.step(kA, request({1'000'000'000'000})), kA);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->reason, Errc::chunk_out_of_window);
}

TEST(PeerEngine, OriginServesUnderItsBudgetAndAnswersBusyBeyond) {
    auto c = config(true);
    c.upload_limit_bytes_per_s = 2000;  // about two chunks of ~1 KB per second
    c.upload_burst_bytes = 2200;
    Fixture f(c);
    for (std::uint64_t s = 1; s <= 4; ++s) {
        ASSERT_TRUE(f.engine.publish_local_chunk(make_chunk(s), t0));
    }
    f.engine.take_actions();
    const auto actions = f.step(kA, request({1, 2, 3, 4}));
    const auto chunks = only<SendChunk>(actions);
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[0].chunk->seq(), 1u);
    EXPECT_EQ(chunks[1].chunk->seq(), 2u);
    const auto sent = only<SendMessage>(actions);
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_TRUE(sent[0].message.has_busy());
    EXPECT_EQ(sent[0].message.busy().seqs_size(), 2);
    EXPECT_GT(sent[0].message.busy().retry_after_ms(), 0u);
    // A second later the budget has refilled.
    EXPECT_EQ(only<SendChunk>(f.step(kA, request({3, 4}), 1100ms)).size(), 2u);
    EXPECT_EQ(f.engine.traffic().chunks_served, 4u);
}

// With its budget short, the source serves the chunk asked for with the fewest copies
// out; one that someone is about to stall on goes regardless.
TEST(PeerEngine, OriginServesTheLeastCopiedChunkFirstUnlessAStallIsNear) {
    auto c = config(true);
    c.upload_limit_bytes_per_s = 1200;  // about one ~1 KB chunk per second
    c.upload_burst_bytes = 1200;
    c.spread_window = 2s;
    Fixture f(c);
    f.engine.on_neighbor_connected(kB, "", false, t0);
    f.engine.on_message(kB, hello("b"), t0);
    for (std::uint64_t s = 1; s <= 2; ++s) {
        ASSERT_TRUE(f.engine.publish_local_chunk(make_chunk(s), t0));
    }
    f.engine.take_actions();
    EXPECT_EQ(served(f.step(kA, request({1}))), std::vector<std::uint64_t>{1});
    EXPECT_TRUE(served(f.step(kB, request({2}))).empty()) << "no budget left";
    // A second on, A asks for 1 again: 2 was asked for and has no copy out, so 1 waits,
    // unless A is about to stall on it.
    EXPECT_TRUE(served(f.step(kA, request({1}), 1100ms)).empty());
    EXPECT_EQ(served(f.step(kA, request({1}, true), 1100ms)), std::vector<std::uint64_t>{1});
    EXPECT_TRUE(served(f.step(kB, request({2}), 1100ms)).empty()) << "no budget left";
    EXPECT_EQ(served(f.step(kB, request({2}), 2200ms)), std::vector<std::uint64_t>{2});
    EXPECT_EQ(f.engine.traffic().chunks_served, 3u);
}

TEST(PeerEngine, OriginAnnouncesEachPublishedChunk) {
    Fixture f(config(true));
    ASSERT_TRUE(f.engine.publish_local_chunk(make_chunk(7), t0));
    const auto sent = only<SendMessage>(f.engine.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_TRUE(sent[0].message.has_have());
    EXPECT_EQ(sent[0].message.have().seqs(0), 7u);
    // A chunk that does not verify is refused.
    EXPECT_FALSE(f.engine.publish_local_chunk(make_chunk(8, kOtherKeys), t0));
}

TEST(PeerEngine, OriginNamesItsFirstFetchersInItsBufferMaps) {
    auto c = config(true);
    c.first_fetchers = 1;
    Fixture f(c);
    f.engine.on_neighbor_connected(kB, "", false, t0);
    f.engine.on_message(kB, hello("b"), t0);
    ASSERT_TRUE(f.engine.publish_local_chunk(make_chunk(3), t0));
    f.engine.take_actions();
    f.engine.on_timer(t0 + 1s);
    const auto sent = only<SendMessage>(f.engine.take_actions());
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& m : sent) {
        ASSERT_TRUE(m.message.has_buffer_map());
        EXPECT_EQ(m.message.buffer_map().first_fetch_ppm(), 500'000u);  // one of two
    }
}

// A viewer whose source names every neighbour a first fetcher asks it for the newest
// chunk, which no neighbour holds, before that chunk is urgent; one whose source names
// none does not.
TEST(PeerEngine, FirstFetcherAsksTheSourceForANewChunkBeforeItIsUrgent) {
    for (const std::uint32_t ppm : {kFirstFetchPpmMax, 0u}) {
        auto c = config();
        c.startup_lag = 8s;  // joins at 42; 48..50 are due in 6 s or more: not urgent
        c.max_requests_in_flight = 1;
        PeerEngine e(c, 1, t0);
        connect_source(e, kA);
        auto map = buffer_map(40, "xxxxxxxxxxx", 50);
        map.mutable_buffer_map()->set_first_fetch_ppm(ppm);
        e.on_message(kA, map, t0);
        e.on_neighbor_connected(kB, "b:1", true, t0);
        e.on_message(kB, hello("b"), t0);
        e.on_message(kB, buffer_map(40, "..xxxxxx", 47), t0);  // holds 42..47
        e.take_actions();
        e.on_timer(t0);
        std::map<NeighborId, std::vector<std::uint64_t>> asked;
        for (const auto& m : only<SendMessage>(e.take_actions())) {
            auto& seqs = asked[m.to];
            seqs.insert(seqs.end(), m.message.request().seqs().begin(),
                        m.message.request().seqs().end());
        }
        // The cap of one request goes to the most urgent chunk, from B; the first fetch
        // of the oldest chunk only the source holds is extra.
        EXPECT_EQ(asked[kB], std::vector<std::uint64_t>{42}) << "ppm " << ppm;
        EXPECT_EQ(asked[kA],
                  ppm > 0 ? std::vector<std::uint64_t>{48} : std::vector<std::uint64_t>{})
            << "ppm " << ppm;
    }
}

// Before startup nothing is played, so a start point whose chunks never come is given
// up once the live edge is twice the startup lag ahead of it.
TEST(PeerEngine, ViewerStuckBeforeStartupMovesToAFreshStartPoint) {
    auto c = config();
    c.startup_lag = 8s;
    PeerEngine e(c, 1, t0);
    connect_source(e, kA);
    e.on_message(kA, buffer_map(40, "xxxxxxxxxxx", 50), t0);
    e.on_timer(t0);
    ASSERT_EQ(e.playback().playhead(), ChunkSeq{42});
    // Eight seconds on, the requests were never answered.
    e.on_message(kA, buffer_map(40, std::string(19, 'x'), 58), t0 + 8s);
    e.on_timer(t0 + 8s);
    EXPECT_EQ(e.playback().playhead(), ChunkSeq{42}) << "not yet twice the lag behind";
    e.on_message(kA, buffer_map(40, std::string(20, 'x'), 59), t0 + 9s);
    e.on_timer(t0 + 9s);
    EXPECT_EQ(e.playback().playhead(), ChunkSeq{51});
    EXPECT_FALSE(e.playback().started());
}

// A viewer with the source (A) as its only neighbour: joins at live - lag, requests
// urgent chunks from the source, verifies, stores and plays them.
TEST(PeerEngine, ViewerJoinsFetchesFromSourceAndPlays) {
    auto c = config();
    c.startup_lag = 3s;
    PeerEngine e(c, 1, t0);
    connect_source(e, kA);
    e.on_message(kA, buffer_map(40, "xxxxxxxxxxx", 50), t0);  // holds 40..50
    e.take_actions();
    ASSERT_TRUE(e.playback().joined());
    EXPECT_EQ(e.playback().playhead(), ChunkSeq{47});
    e.on_timer(t0);
    auto reqs = only<SendMessage>(e.take_actions());
    ASSERT_EQ(reqs.size(), 1u);
    ASSERT_TRUE(reqs[0].message.has_request());
    EXPECT_EQ(reqs[0].message.request().seqs(0), 47u);
    for (auto seq : reqs[0].message.request().seqs()) {
        e.on_message(kA, chunk_message(make_chunk(seq)), t0 + 100ms);
    }
    const auto played = only<PlayChunk>(e.take_actions());
    ASSERT_FALSE(played.empty());
    EXPECT_EQ(played[0].chunk->seq(), 47u);
    const auto r = e.report(t0 + 100ms);
    EXPECT_NEAR(r.startup_delay_s(), 0.1, 1e-9);
    EXPECT_GT(r.bytes_from_source(), 0u);
    EXPECT_EQ(r.bytes_from_peers(), 0u);
}

// A viewer holding 47..49 (from the source, A) with an upload cap of 1 KB/s and a burst
// of two ~1.1 KB chunks, and a second neighbour B that asks it for chunks.
PeerEngine viewer_with_reserve() {
    auto c = config();
    c.startup_lag = 3s;
    c.upload_limit_bytes_per_s = 1000;
    c.upload_burst_bytes = 2200;
    PeerEngine e(c, 1, t0);
    connect_source(e, kA);
    e.on_message(kA, buffer_map(40, "xxxxxxxxxxx", 50), t0);
    e.on_timer(t0);  // asks the source for 47..49
    for (std::uint64_t seq = 47; seq <= 49; ++seq) {
        e.on_message(kA, chunk_message(make_chunk(seq)), t0);
    }
    e.on_neighbor_connected(kB, "b:1", false, t0);
    e.on_message(kB, hello("b"), t0);
    e.take_actions();
    return e;
}

// The seqs `e` serves B for a request.
std::vector<std::uint64_t> ask(PeerEngine& e, std::vector<std::uint64_t> seqs, bool due_soon) {
    e.on_message(kB, request(std::move(seqs), due_soon), t0);
    return served(e.take_actions());
}

// A viewer's last chunk of upload budget is for neighbours about to stall: a request
// not marked due soon must leave a chunk's worth behind.
TEST(PeerEngine, ViewerKeepsItsLastChunkOfBudgetForRequestsDueSoon) {
    PeerEngine e = viewer_with_reserve();
    ASSERT_TRUE(e.store().has(ChunkSeq{49}));
    EXPECT_EQ(ask(e, {47}, false), std::vector<std::uint64_t>{47}) << "a full bucket";
    EXPECT_TRUE(ask(e, {48}, false).empty()) << "the last chunk's worth is kept";
    EXPECT_EQ(ask(e, {48}, true), std::vector<std::uint64_t>{48});
    EXPECT_TRUE(ask(e, {49}, true).empty()) << "the budget is spent";
}

// The claim is checked against the playhead B advertised: far ahead of it, due soon is
// not believed (B's map shows playhead 40; 47 is 7 chunks on).
TEST(PeerEngine, DueSoonFarAheadOfTheRequestersPlayheadIsNotBelieved) {
    PeerEngine e = viewer_with_reserve();
    auto map = buffer_map(40, "x", 47);
    map.mutable_buffer_map()->set_playhead(40);
    e.on_message(kB, map, t0);
    EXPECT_EQ(ask(e, {47}, false), std::vector<std::uint64_t>{47});
    EXPECT_TRUE(ask(e, {48}, true).empty()) << "48 is not due soon for a peer at 40";
    map.mutable_buffer_map()->set_playhead(46);
    e.on_message(kB, map, t0);
    EXPECT_EQ(ask(e, {48}, true), std::vector<std::uint64_t>{48});
}

// Which requests go out marked due soon: a playing viewer's for chunks due within
// `due_soon`; before startup, none until `startup_patience` has passed, then those for
// the startup chunks.
TEST(PeerEngine, ViewerMarksRequestsDueSoon) {
    auto c = config();
    c.startup_lag = 3s;  // joins at 47; startup needs 47 and 48
    PeerEngine e(c, 1, t0);
    connect_source(e, kA);
    e.on_message(kA, buffer_map(40, "xxxxxxxxxxx", 50), t0);
    e.take_actions();
    // The requests out, seq -> marked due soon.
    const auto requests_at = [&](Duration at) {
        e.on_timer(t0 + at);
        std::map<std::uint64_t, bool> out;
        for (const auto& m : only<SendMessage>(e.take_actions())) {
            for (auto seq : m.message.request().seqs()) {
                out[seq] = m.message.request().due_soon();
            }
        }
        return out;
    };
    EXPECT_EQ(requests_at(0s),
              (std::map<std::uint64_t, bool>{{47, false}, {48, false}, {49, false}}));
    // The source is busy; after five seconds without a start, the startup chunks are
    // marked.
    wire::PeerMessage busy;
    for (std::uint64_t seq : {47, 48, 49}) {
        busy.mutable_busy()->add_seqs(seq);
    }
    busy.mutable_busy()->set_retry_after_ms(100);
    e.on_message(kA, busy, t0 + 4s);
    EXPECT_EQ(requests_at(4900ms),
              (std::map<std::uint64_t, bool>{{47, false}, {48, false}, {49, false}}));
    e.on_message(kA, busy, t0 + 5s);
    EXPECT_EQ(requests_at(5100ms),
              (std::map<std::uint64_t, bool>{{47, true}, {48, true}, {49, false}}));
    // Playing from 5.2 s: 49 is due at 7.2 s, 50 at 8.2 s; due soon from 5.2 s and 6.2 s.
    for (std::uint64_t seq : {47, 48}) {
        e.on_message(kA, chunk_message(make_chunk(seq)), t0 + 5200ms);
    }
    e.on_message(kA, busy, t0 + 5200ms);
    ASSERT_TRUE(e.playback().started());
    EXPECT_EQ(requests_at(5500ms), (std::map<std::uint64_t, bool>{{49, true}, {50, false}}));
    busy.mutable_busy()->add_seqs(50);
    e.on_message(kA, busy, t0 + 6s);
    EXPECT_EQ(requests_at(6300ms), (std::map<std::uint64_t, bool>{{49, true}, {50, true}}));
}

TEST(PeerEngine, BadChunkIsNeverPlayedAndItsSenderIsBannedForGood) {
    auto c = config();
    c.startup_lag = 2s;
    PeerEngine e(c, 1, t0);
    e.on_peer_list({}, ChunkSeq{10}, t0);
    e.on_neighbor_connected(kA, "a:1", true, t0);
    e.on_message(kA, hello("a"), t0);
    e.on_message(kA, buffer_map(0, std::string(11, 'x'), 10), t0);
    e.take_actions();
    e.on_timer(t0);
    const auto reqs = only<SendMessage>(e.take_actions());
    ASSERT_FALSE(reqs.empty());
    const auto seq = reqs[0].message.request().seqs(0);
    wire::Chunk bad = make_chunk(seq);
    bad.set_payload(bad.payload() + "!");
    e.on_message(kA, chunk_message(bad), t0 + 10ms);
    const auto actions = e.take_actions();
    EXPECT_TRUE(only<PlayChunk>(actions).empty());
    const auto d = disconnect_of(actions, kA);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->reason, Errc::signature_invalid);
    EXPECT_EQ(e.traffic().chunks_rejected, 1u);
    EXPECT_FALSE(e.store().has(ChunkSeq{seq}));
    // It comes back under another connection: refused.
    e.on_neighbor_connected(kB, "", false, t0 + 1s);
    e.on_message(kB, hello("a"), t0 + 1s);
    EXPECT_TRUE(disconnect_of(e.take_actions(), kB).has_value());
    // And the tracker listing it does not make us connect to it.
    e.on_peer_list({{PeerId{"a"}, "a:1", false}}, std::nullopt, t0 + 2s);
    for (const auto& k : only<Connect>(e.take_actions())) {
        EXPECT_NE(k.endpoint, "a:1");
    }
}

// A chunk handed over shared (the socket reader moves the parsed one in; the simulator
// passes the sender's) is stored as that very object, its payload never copied, and is
// judged like any other: counted, verified, unsolicited ones refused.
TEST(PeerEngine, ASharedChunkIsStoredAsItIsAndJudgedAsAnyOther) {
    auto c = config();
    c.startup_lag = 2s;
    PeerEngine e(c, 1, t0);
    e.on_peer_list({}, ChunkSeq{10}, t0);
    e.on_neighbor_connected(kA, "a:1", true, t0);
    e.on_message(kA, hello("a"), t0);
    e.on_message(kA, buffer_map(0, std::string(11, 'x'), 10), t0);
    e.take_actions();
    e.on_timer(t0);
    const auto reqs = only<SendMessage>(e.take_actions());
    ASSERT_GE(reqs.size(), 1U);
    ASSERT_GE(reqs[0].message.request().seqs_size(), 2);
    const auto seq = reqs[0].message.request().seqs(0);
    auto shared = std::make_shared<const wire::Chunk>(make_chunk(seq));
    const auto before = e.traffic().download_media_bytes;
    e.on_chunk_message(kA, shared, t0 + 10ms);
    EXPECT_EQ(e.store().get(ChunkSeq{seq}).get(), shared.get());
    EXPECT_EQ(e.traffic().download_media_bytes, before + chunk_frame_bytes(*shared));
    // Unsolicited (never asked for): the neighbour is dropped, nothing is stored.
    e.on_chunk_message(kA, std::make_shared<const wire::Chunk>(make_chunk(40)), t0 + 20ms);
    EXPECT_TRUE(disconnect_of(e.take_actions(), kA).has_value());
    EXPECT_FALSE(e.store().has(ChunkSeq{40}));
}

// A polluter that connects to us declaring an honest peer's id and endpoint, then sends a
// bad chunk, is dropped, and its address is refused from then on; the honest peer it named
// stays welcome, inbound and dialed (bans follow evidence).
TEST(PeerEngine, APolluterCannotGetTheHonestPeerItNamesBanned) {
    auto c = config();
    c.startup_lag = 2s;
    PeerEngine e(c, 1, t0);
    e.on_peer_list({}, ChunkSeq{10}, t0);
    e.on_neighbor_connected(kA, "192.0.2.66:40001", false, t0);  // inbound
    e.on_message(kA, hello("b"), t0);                            // "I am b, at b:1"
    e.on_message(kA, buffer_map(0, std::string(11, 'x'), 10), t0);
    e.take_actions();
    e.on_timer(t0);
    const auto reqs = only<SendMessage>(e.take_actions());
    ASSERT_FALSE(reqs.empty());
    wire::Chunk bad = make_chunk(reqs[0].message.request().seqs(0));
    bad.set_payload(bad.payload() + "!");
    e.on_message(kA, chunk_message(bad), t0 + 10ms);
    const auto d = disconnect_of(e.take_actions(), kA);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->reason, Errc::signature_invalid);
    // The real b, dialed at b:1, is accepted, and so is b connecting from its own address.
    e.on_neighbor_connected(kB, "b:1", true, t0 + 1s);
    e.on_message(kB, hello("b"), t0 + 1s);
    EXPECT_FALSE(disconnect_of(e.take_actions(), kB).has_value());
    EXPECT_FALSE(e.neighbors().banned_endpoint("b:1"));
    const NeighborId kC{3};
    e.on_neighbor_lost(kB, Errc::ok, t0 + 2s);
    e.on_neighbor_connected(kC, "198.51.100.2:50000", false, t0 + 2s);
    e.on_message(kC, hello("b"), t0 + 2s);
    EXPECT_FALSE(disconnect_of(e.take_actions(), kC).has_value());
    // The polluter's address, from another port and under another name: refused at once.
    const NeighborId kD{4};
    e.on_neighbor_connected(kD, "192.0.2.66:40002", false, t0 + 3s);
    const auto again = e.take_actions();
    EXPECT_TRUE(only<SendMessage>(again).empty()) << "not even a Hello for a banned address";
    ASSERT_TRUE(disconnect_of(again, kD).has_value());
    EXPECT_EQ(disconnect_of(again, kD)->reason, Errc::signature_invalid);
}

TEST(PeerEngine, LateRequestIsAskedOfAnotherHolderAndTheFirstAnswerStaysWelcome) {
    auto c = config();
    c.startup_lag = 2s;
    c.request_timeout = 1s;
    PeerEngine e(c, 1, t0);
    e.on_peer_list({}, ChunkSeq{10}, t0);
    for (NeighborId id : {kA, kB}) {
        e.on_neighbor_connected(id, id == kA ? "a:1" : "b:1", true, t0);
        e.on_message(id, hello(id == kA ? "a" : "b"), t0);
        e.on_message(id, buffer_map(0, std::string(11, 'x'), 10), t0);
    }
    e.take_actions();
    e.on_timer(t0);
    auto first = only<SendMessage>(e.take_actions());
    std::map<std::uint64_t, NeighborId> asked;
    for (const auto& m : first) {
        for (auto s : m.message.request().seqs()) {
            asked[s] = m.to;
        }
    }
    ASSERT_TRUE(asked.contains(8));
    const NeighborId slow = asked[8];
    const NeighborId other = slow == kA ? kB : kA;
    // Nothing arrives; after the timeout seq 8 is asked of the other holder.
    e.on_timer(t0 + 1100ms);
    bool reasked = false;
    for (const auto& m : only<SendMessage>(e.take_actions())) {
        for (auto s : m.message.request().seqs()) {
            reasked |= (s == 8 && m.to == other);
        }
    }
    EXPECT_TRUE(reasked);
    // The slow holder's answer still arrives: welcome, not a protocol violation.
    e.on_message(slow, chunk_message(make_chunk(8)), t0 + 1200ms);
    EXPECT_FALSE(disconnect_of(e.take_actions(), slow).has_value());
    EXPECT_TRUE(e.store().has(ChunkSeq{8}));
}

TEST(PeerEngine, FullTableSaysByeAndRefillsFromTheTrackerList) {
    auto c = config();
    c.target_neighbors = 2;
    c.max_neighbors = 2;
    PeerEngine e(c, 1, t0);
    e.on_peer_list({{PeerId{"p1"}, "h:1"}, {PeerId{"p2"}, "h:2"}, {PeerId{"p3"}, "h:3"}},
                   std::nullopt, t0);
    auto connects = only<Connect>(e.take_actions());
    EXPECT_EQ(connects.size(), 2u) << "M = 2";
    e.on_neighbor_connected(NeighborId{1}, connects[0].endpoint, true, t0);
    e.on_neighbor_connected(NeighborId{2}, connects[1].endpoint, true, t0);
    e.take_actions();
    e.on_neighbor_connected(NeighborId{3}, "", false, t0);
    const auto actions = e.take_actions();
    ASSERT_TRUE(disconnect_of(actions, NeighborId{3}).has_value());
    // One leaves: the engine connects to the third candidate.
    e.on_neighbor_lost(NeighborId{1}, Errc::io_error, t0 + 1s);
    e.on_timer(t0 + 1s);
    connects = only<Connect>(e.take_actions());
    ASSERT_EQ(connects.size(), 1u);
}

TEST(PeerEngine, SendsBufferMapsEveryIntervalAndReportsTheNextTimer) {
    Fixture f(config(true));
    ASSERT_TRUE(f.engine.publish_local_chunk(make_chunk(1), t0));
    f.engine.take_actions();
    EXPECT_LE(f.engine.next_timer(), t0 + 500ms);
    f.engine.on_timer(t0 + 500ms);
    const auto sent = only<SendMessage>(f.engine.take_actions());
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].message.has_buffer_map());
    EXPECT_GT(f.engine.next_timer(), t0 + 500ms);
}

TEST(PeerEngine, StopSaysByeToEveryoneAndIgnoresLaterEvents) {
    Fixture f;
    f.engine.stop(t0);
    const auto actions = f.engine.take_actions();
    ASSERT_TRUE(disconnect_of(actions, kA).has_value());
    const auto sent = only<SendMessage>(actions);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].message.has_bye());
    f.engine.on_message(kA, request({1}), t0);
    EXPECT_TRUE(f.engine.take_actions().empty());
}

}  // namespace
}  // namespace p2pls::peer
