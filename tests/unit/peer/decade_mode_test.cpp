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
    const auto chunk_bytes = [this](std::uint64_t seq) {
        auto c = std::make_shared<wire::Chunk>();
        c->set_seq(seq);
        c->set_duration_us(1'000'000);
        c->set_payload(std::string(200, 'v'));
        sign_chunk(key_.secret_key, "ch", *c);
        return encode_object({c});
    };
    // The far neighbour's Hello and buffer map, with a range token for its locker.
    const auto far_neighbour = [this](PeerEngine& e, TimePoint now) {
        const NeighborId far{2};
        e.on_neighbor_connected(far, "10.0.0.2:1", true, now);
        wire::PeerMessage h;
        h.mutable_hello()->set_version(kWireVersion);
        h.mutable_hello()->set_channel("ch");
        h.mutable_hello()->set_peer_id("far");
        h.mutable_hello()->set_mode(wire::decade);
        h.mutable_hello()->set_decade_server("http://far");
        e.on_message(far, h, now);
        decade::TokenClaims c;
        c.locker = "l-far";
        c.ops = decade::op_bit(decade::Op::get);
        c.prefix = "ch-";
        c.seq_first = 80;
        c.seq_last = 140;
        c.not_before_s = 0;
        c.expiry_s = config_.decade.unix_offset_s + 7200 + 600;
        decade::LockerSecret secret{};
        secret.fill(3);
        wire::PeerMessage m;
        auto* bm = m.mutable_buffer_map();
        ChunkBitmap bits(64, ChunkSeq{80});
        for (std::uint64_t seq = 92; seq <= 99; ++seq) {
            bits.set(ChunkSeq{seq});
        }
        bm->set_base(80);
        bm->set_window(64);
        bm->set_bits(bits.encode());
        bm->set_live_edge(100);
        auto* rt = bm->mutable_range_token();
        rt->set_server("http://far");
        rt->set_locker("l-far");
        rt->set_token(*decade::generate_token(secret, c));
        rt->set_object_chunks(1);
        rt->set_name_prefix("ch-");
        e.on_message(far, m, now);
    };
    // The objects the engine asks of the far server (by first seq).
    const auto fetched = [](std::vector<Action> actions, std::vector<DecadeFetch>* out) {
        std::vector<std::uint64_t> seqs;
        for (auto& a : actions) {
            if (auto* f = std::get_if<DecadeFetch>(&a)) {
                for (const auto& op : f->ops) {
                    EXPECT_EQ(op.remote_server(), "http://far");
                    seqs.push_back(std::stoull(op.name().substr(op.name().rfind('-') + 1)));
                }
                out->push_back(*f);
            }
        }
        return seqs;
    };
    for (const Duration answer_after : {Duration{500ms}, Duration{3s}}) {
        PeerEngine e(config_, 1, t0_);
        e.on_peer_list({}, ChunkSeq{100}, t0_);
        far_neighbour(e, t0_);
        e.take_actions();
        e.on_timer(t0_);
        std::vector<DecadeFetch> out;
        ASSERT_EQ(fetched(e.take_actions(), &out), (std::vector<std::uint64_t>{92, 93}));
        const TimePoint answered = t0_ + answer_after;
        for (const DecadeFetch& f : out) {
            DecadeResult r;
            for (const auto& op : f.ops) {
                const auto seq = std::stoull(op.name().substr(op.name().rfind('-') + 1));
                r.objects.push_back({Errc::ok, chunk_bytes(seq)});
            }
            e.on_decade_fetched(f.id, std::move(r), answered);
        }
        ASSERT_TRUE(e.playback().started());
        e.take_actions();
        e.on_timer(answered + 500ms);
        const auto next = fetched(e.take_actions(), &out);
        if (answer_after < config_.decade.fallback_margin) {
            EXPECT_EQ(next, std::vector<std::uint64_t>{94});
        } else {
            EXPECT_TRUE(next.empty()) << "copied " << next.size() << " across while calm";
        }
    }
}

}  // namespace
}  // namespace p2pls::peer
