// DECADE mode of the engine, sans IO: the object format (bad input never
// crashes), buffer maps that carry a range token for exactly the advertised window, and
// a DECADE peer that answers native Requests with Busy (it uploads no media).
#include <gtest/gtest.h>

#include "common/core/chunk_signature.hpp"
#include "common/core/peer_codec.hpp"
#include "decade-module/core/token.hpp"
#include "peer/core/decade_object.hpp"
#include "peer/core/peer_engine.hpp"

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const wire::Chunk> chunk(std::uint64_t seq) {
    auto c = std::make_shared<wire::Chunk>();
    c->set_seq(seq);
    c->set_payload(std::string(100, 'x'));
    c->set_signature(std::string(64, 's'));
    return c;
}

TEST(DecadeObject, RoundTripsChunksInOrder) {
    const std::string bytes = encode_object({chunk(8), chunk(9), chunk(10)});
    auto back = decode_object(bytes);
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 3u);
    EXPECT_EQ((*back)[0].seq(), 8u);
    EXPECT_EQ((*back)[2].seq(), 10u);
}

TEST(DecadeObject, BadInputIsAnErrorNeverACrash) {
    const std::string good = encode_object({chunk(1), chunk(2)});
    EXPECT_FALSE(decode_object(""));
    EXPECT_FALSE(decode_object("\x00\x00"));
    for (std::size_t cut = 1; cut < good.size(); cut += 7) {
        EXPECT_FALSE(decode_object(good.substr(0, cut))) << cut;
    }
    std::string huge = good;
    huge[0] = '\x7f';  // length prefix far beyond the bytes (and the cap)
    EXPECT_FALSE(decode_object(huge));
    std::string junk = good;
    junk[4] = '\x07';  // a field tag of wire type 7: not a Chunk any more
    EXPECT_FALSE(decode_object(junk));
    EXPECT_FALSE(decode_object(good, 1));  // more chunks than an object may hold
}

class DecadeEngine : public ::testing::Test {
  protected:
    DecadeEngine() : key_(keypair_from_seed(KeySeed{})) {
        config_.channel = "ch";
        config_.peer_id = PeerId{"me"};
        config_.public_key = key_.public_key;
        config_.decade.enabled = true;
        config_.decade.server = "http://home";
        config_.decade.locker = "l-me";
        config_.decade.secret.fill(7);
        config_.decade.unix_offset_s = 1'800'000'000;
    }

    // Connects neighbour 1 (a native peer) and completes its Hello.
    void hello(PeerEngine& e, TimePoint now) {
        e.on_neighbor_connected(NeighborId{1}, "10.0.0.1:1", true, now);
        wire::PeerMessage m;
        auto* h = m.mutable_hello();
        h->set_version(kWireVersion);
        h->set_channel("ch");
        h->set_peer_id("other");
        h->set_mode(wire::native);
        e.on_message(NeighborId{1}, m, now);
    }

    // Chunk `seq` signed for the channel, as the one chunk of a stored object.
    [[nodiscard]] std::string object_bytes(std::uint64_t seq) const {
        auto c = std::make_shared<wire::Chunk>();
        c->set_seq(seq);
        c->set_duration_us(1'000'000);
        c->set_payload(std::string(200, 'v'));
        sign_chunk(key_.secret_key, "ch", *c);
        return encode_object({c});
    }

    // A buffer map over [80, 144) showing `held`, live edge `edge`.
    static wire::PeerMessage buffer_map(const std::vector<std::uint64_t>& held,
                                        std::uint64_t edge) {
        wire::PeerMessage m;
        auto* bm = m.mutable_buffer_map();
        ChunkBitmap bits(64, ChunkSeq{80});
        for (std::uint64_t seq : held) {
            bits.set(ChunkSeq{seq});
        }
        bm->set_base(80);
        bm->set_window(64);
        bm->set_bits(bits.encode());
        bm->set_live_edge(edge);
        return m;
    }

    // Connects DECADE neighbour `id` whose locker is on `server`; its buffer map shows
    // `held` and carries a range token over 80..140.
    void decade_neighbour(PeerEngine& e, NeighborId id, const std::string& server,
                          const std::vector<std::uint64_t>& held, std::uint64_t edge,
                          TimePoint now) const {
        e.on_neighbor_connected(id, "10.0.0." + std::to_string(id.value()) + ":1", true, now);
        wire::PeerMessage h;
        h.mutable_hello()->set_version(kWireVersion);
        h.mutable_hello()->set_channel("ch");
        h.mutable_hello()->set_peer_id("d" + std::to_string(id.value()));
        h.mutable_hello()->set_mode(wire::decade);
        h.mutable_hello()->set_decade_server(server);
        e.on_message(id, h, now);
        decade::TokenClaims c;
        c.locker = "l-d";
        c.ops = decade::op_bit(decade::Op::get);
        c.prefix = "ch-";
        c.seq_first = 80;
        c.seq_last = 140;
        c.not_before_s = 0;
        c.expiry_s = config_.decade.unix_offset_s + 7200 + 600;
        decade::LockerSecret secret{};
        secret.fill(3);
        wire::PeerMessage m = buffer_map(held, edge);
        auto* rt = m.mutable_buffer_map()->mutable_range_token();
        rt->set_server(server);
        rt->set_locker("l-d");
        rt->set_token(*decade::generate_token(secret, c));
        rt->set_object_chunks(1);
        rt->set_name_prefix("ch-");
        e.on_message(id, m, now);
    }

    // Answers every DecadeFetch among `actions` at `now` with the objects it named; the
    // first seq of each.
    std::vector<std::uint64_t> answer_fetches(PeerEngine& e, const std::vector<Action>& actions,
                                              TimePoint now) const {
        std::vector<std::uint64_t> seqs;
        for (const auto& a : actions) {
            if (const auto* f = std::get_if<DecadeFetch>(&a)) {
                DecadeResult r;
                for (const auto& op : f->ops) {
                    const auto seq = std::stoull(op.name().substr(op.name().rfind('-') + 1));
                    r.objects.push_back({Errc::ok, object_bytes(seq), {}});
                    seqs.push_back(seq);
                }
                e.on_decade_fetched(f->id, std::move(r), now);
            }
        }
        return seqs;
    }

    KeyPair key_;
    EngineConfig config_;
    TimePoint t0_ = TimePoint{} + 1h;
};

TEST_F(DecadeEngine, HelloSaysDecadeAndNativeRequestsGetBusy) {
    PeerEngine e(config_, 1, t0_);
    e.on_peer_list({}, ChunkSeq{100}, t0_);
    hello(e, t0_);
    bool hello_decade = false;
    for (auto& a : e.take_actions()) {
        if (auto* m = std::get_if<SendMessage>(&a); m && m->message.has_hello()) {
            hello_decade = m->message.hello().mode() == wire::decade &&
                           m->message.hello().decade_server() == "http://home";
        }
    }
    EXPECT_TRUE(hello_decade);
    wire::PeerMessage req;
    req.mutable_request()->add_seqs(95);
    e.on_message(NeighborId{1}, req, t0_);
    bool busy = false;
    for (auto& a : e.take_actions()) {
        EXPECT_FALSE(std::holds_alternative<SendChunk>(a));
        if (auto* m = std::get_if<SendMessage>(&a); m && m->message.has_busy()) {
            busy = true;
        }
    }
    EXPECT_TRUE(busy);
    EXPECT_EQ(e.report(t0_).upload_media_bytes(), 0u);
    EXPECT_EQ(e.report(t0_).mode(), "decade");
}

TEST_F(DecadeEngine, BufferMapCarriesARangeTokenForTheAdvertisedWindow) {
    PeerEngine e(config_, 1, t0_);
    e.on_peer_list({}, ChunkSeq{100}, t0_);
    hello(e, t0_);
    std::optional<wire::BufferMap> bm;
    for (auto& a : e.take_actions()) {
        if (auto* m = std::get_if<SendMessage>(&a); m && m->message.has_buffer_map()) {
            bm = m->message.buffer_map();
        }
    }
    ASSERT_TRUE(bm.has_value());
    ASSERT_TRUE(bm->has_range_token());
    const auto& rt = bm->range_token();
    EXPECT_EQ(rt.server(), "http://home");
    EXPECT_EQ(rt.locker(), "l-me");
    EXPECT_EQ(rt.object_chunks(), 1u);
    auto claims = decade::decode_token_unverified(rt.token());
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->locker, "l-me");
    EXPECT_EQ(claims->ops, decade::op_bit(decade::Op::get));
    EXPECT_EQ(claims->prefix, rt.name_prefix());
    // The advertised window and a token lifetime of chunks past it: what we announce
    // with Have while the token lives.
    const auto lifetime_s =
        std::chrono::duration_cast<std::chrono::seconds>(config_.decade.token_lifetime).count();
    EXPECT_EQ(claims->seq_first, bm->base());
    EXPECT_EQ(claims->seq_last,
              bm->base() + bm->window() - 1 + static_cast<std::uint64_t>(lifetime_s));
    const auto unix_now =
        config_.decade.unix_offset_s +
        std::chrono::duration_cast<std::chrono::seconds>(t0_.time_since_epoch()).count();
    EXPECT_GT(claims->expiry_s, unix_now);
    EXPECT_LE(claims->expiry_s, unix_now + lifetime_s + 1);
    // Its locker holds nothing yet: the map shows nothing.
    EXPECT_EQ(bm->bits(), std::string(bm->bits().size(), '\0'));
}

// Copies across servers calm down after a slow one (decade.cross_server_calm): a peer not
// in the early share then waits for a holder on its own server. Same script twice: a
// neighbour on another server holds 92..99; we ask it for the two startup chunks, the
// answer comes after `answer_after`; half a second later chunk 94 is 1.5 s from its
// deadline, inside fallback_margin (2 s). Answered fast, we copy 94 across at once;
// answered slower than fallback_margin, we do not.
TEST_F(DecadeEngine, CopiesAcrossServersCalmDownAfterASlowOne) {
    config_.decade.cross_server_share = UINT32_MAX;  // we are not in the early share
    config_.decade.cross_server_spread = Duration{1};
    config_.startup_lag = 8s;  // live edge 100: we join at 92
    // The objects the engine asks of the far server (by first seq).
    const auto asked = [](const std::vector<Action>& actions) {
        std::vector<std::uint64_t> seqs;
        for (const auto& a : actions) {
            if (const auto* f = std::get_if<DecadeFetch>(&a)) {
                for (const auto& op : f->ops) {
                    EXPECT_EQ(op.remote_server(), "http://far");
                    seqs.push_back(std::stoull(op.name().substr(op.name().rfind('-') + 1)));
                }
            }
        }
        return seqs;
    };
    for (const Duration answer_after : {Duration{500ms}, Duration{3s}}) {
        PeerEngine e(config_, 1, t0_);
        e.on_peer_list({}, ChunkSeq{100}, t0_);
        decade_neighbour(e, NeighborId{2}, "http://far", {92, 93, 94, 95, 96, 97, 98, 99}, 100,
                         t0_);
        e.take_actions();
        e.on_timer(t0_);
        const auto first = e.take_actions();
        ASSERT_EQ(asked(first), (std::vector<std::uint64_t>{92, 93}));
        const TimePoint answered = t0_ + answer_after;
        answer_fetches(e, first, answered);
        ASSERT_TRUE(e.playback().started());
        e.take_actions();
        e.on_timer(answered + 500ms);
        const auto next = asked(e.take_actions());
        if (answer_after < config_.decade.fallback_margin) {
            EXPECT_EQ(next, std::vector<std::uint64_t>{94});
        } else {
            EXPECT_TRUE(next.empty()) << "copied " << next.size() << " across while calm";
        }
    }
}

// A peer close to live (2 s behind here, as when it joins a young channel) asks storage
// for chunks with less than fallback_margin left. The native fallback used to ask the
// same chunk at the same tick, so each one came twice. Now the native holder is asked
// only once the storage request has had half the time the chunk had left.
TEST_F(DecadeEngine, CloseToLiveAChunkComingFromStorageIsNotAskedNativelyToo) {
    config_.startup_lag = 2s;  // live edge 100: we join at 98
    PeerEngine e(config_, 1, t0_);
    e.on_peer_list({}, ChunkSeq{100}, t0_);
    hello(e, t0_);  // neighbour 1 is native: it serves natively
    e.on_message(NeighborId{1}, buffer_map({98, 99, 100}, 100), t0_);
    decade_neighbour(e, NeighborId{2}, "http://home", {98, 99, 100}, 100, t0_);
    e.take_actions();
    e.on_timer(t0_);
    const auto startup = e.take_actions();
    ASSERT_EQ(answer_fetches(e, startup, t0_ + 100ms), (std::vector<std::uint64_t>{98, 99}));
    ASSERT_TRUE(e.playback().started());  // 100 is due at t0 + 2.1 s
    e.take_actions();
    const std::uint64_t fallbacks = e.report(t0_ + 100ms).fallbacks();  // 98 was due at once
    // Chunks asked natively of neighbour 1 and of storage.
    const auto ask = [&](TimePoint at, std::vector<std::uint64_t>* from_storage) {
        e.on_timer(at);
        std::vector<std::uint64_t> native;
        for (const auto& a : e.take_actions()) {
            if (const auto* m = std::get_if<SendMessage>(&a); m && m->message.has_request()) {
                EXPECT_EQ(m->to, NeighborId{1});
                native.insert(native.end(), m->message.request().seqs().begin(),
                              m->message.request().seqs().end());
            }
            if (const auto* f = std::get_if<DecadeFetch>(&a); f && from_storage) {
                for (const auto& op : f->ops) {
                    from_storage->push_back(
                        std::stoull(op.name().substr(op.name().rfind('-') + 1)));
                }
            }
        }
        return native;
    };
    std::vector<std::uint64_t> from_storage;
    EXPECT_TRUE(ask(t0_ + 600ms, &from_storage).empty());  // 1.5 s left: storage only
    EXPECT_EQ(from_storage, std::vector<std::uint64_t>{100});
    EXPECT_TRUE(ask(t0_ + 1200ms, nullptr).empty());  // 0.9 s left, asked 0.6 s ago
    // Half of the 1.5 s it had is gone and storage has not answered: natively too.
    EXPECT_EQ(ask(t0_ + 1400ms, nullptr), std::vector<std::uint64_t>{100});
    EXPECT_EQ(e.report(t0_ + 1400ms).fallbacks(), fallbacks + 1);
}

}  // namespace
}  // namespace p2pls::peer
