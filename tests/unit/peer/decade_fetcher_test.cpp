// The DECADE side of a peer on its own: tokens minted for exactly what is asked, fetches
// planned from holders' tokens, answers verified before anything is stored, puts retried.
#include "peer/core/decade_fetcher.hpp"

#include <gtest/gtest.h>

#include "common/core/chunk_signature.hpp"
#include "decade-module/core/token.hpp"
#include "peer/core/decade_object.hpp"

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;
const KeyPair kKeys = keypair_from_seed(KeySeed{4});

EngineConfig config(const std::string& me, const std::string& server, std::uint32_t k = 1) {
    EngineConfig c;
    c.channel = "ch";
    c.peer_id = PeerId{me};
    c.public_key = kKeys.public_key;
    c.decade.enabled = true;
    c.decade.server = server;
    c.decade.locker = "l-" + me;
    c.decade.secret.fill(static_cast<unsigned char>(me[0]));
    c.decade.object_chunks = k;
    c.decade.unix_offset_s = 1'800'000'000;
    return c;
}

std::shared_ptr<const wire::Chunk> signed_chunk(std::uint64_t seq) {
    auto c = std::make_shared<wire::Chunk>();
    c->set_seq(seq);
    c->set_duration_us(1'000'000);
    c->set_payload(std::string(500, 'p'));
    sign_chunk(kKeys.secret_key, "ch", *c);
    return c;
}

// We joined at 100, not started; the live edge is 101. Neighbour 1, a DECADE peer on our
// server, holds 100 and 101 and sent its range token.
struct Fixture {
    explicit Fixture(std::string holder_server = "http://home") {
        playback.join(ChunkSeq{100});
        store.slide_to(ChunkSeq{68});
        DecadeFetcher holder(config("h", holder_server));
        ChunkStore held(64, ChunkSeq{68});
        wire::BufferMap bm;
        std::uint64_t sent = 0;
        holder.fill_buffer_map(bm, held, t0, sent);
        Neighbor n;
        n.id = NeighborId{1};
        n.established = true;
        n.decade = true;
        n.peer_id = PeerId{"h"};
        n.endpoint = "h:1";
        n.outbound = true;  // we dialed h:1: what answers there is on record
        n.map = ChunkBitmap(64, ChunkSeq{68});
        n.map->set(ChunkSeq{100});
        n.map->set(ChunkSeq{101});
        me.on_range_token(n, bm.range_token());
        token = bm.range_token();
        table.add(std::move(n));
    }
    std::vector<DecadeFetch> tick(TimePoint at) {
        return me.schedule(table, store, playback, ChunkSeq{101}, 1000, rng, at);
    }
    // Chunks 100 and 101 are here and playback starts at t0; whether it did.
    bool start_playing() {
        store.insert(signed_chunk(100));
        store.insert(signed_chunk(101));
        playback.advance(t0, store.bitmap());
        return playback.started();
    }
    DecadeFetcher me{config("m", "http://home")};
    NeighborTable table{16, 256};
    ChunkStore store{64};
    Playback playback{1s, 2, 1s, t0};
    std::mt19937_64 rng{1};
    wire::RangeToken token;
};

TEST(DecadeFetcher, RangeTokensCoverTheAdvertisedWindowAndNothingElse) {
    const DecadeFetcher f(config("m", "http://home"));
    const auto claims =
        decade::decode_token_unverified(f.mint_range_token(ChunkSeq{5}, ChunkSeq{9}, t0));
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->locker, "l-m");
    EXPECT_EQ(claims->ops, decade::op_bit(decade::Op::get));
    EXPECT_EQ(claims->prefix, "ch-");
    EXPECT_EQ(claims->seq_first, 5u);
    EXPECT_EQ(claims->seq_last, 9u);
    EXPECT_EQ(claims->not_before_s, 1'800'000'000 + 3600 - 1);
    EXPECT_EQ(claims->expiry_s, 1'800'000'000 + 3600 + 30);  // token_lifetime
    // Native mode mints nothing.
    EngineConfig native = config("m", "http://home");
    native.decade.enabled = false;
    EXPECT_EQ(DecadeFetcher(native).mint_range_token(ChunkSeq{5}, ChunkSeq{9}, t0), "");
}

TEST(DecadeFetcher, BufferMapsShowOnlyWhatTheLockerHolds) {
    DecadeFetcher f(config("m", "http://home", 2));
    ChunkStore store(8, ChunkSeq{10});
    store.insert(signed_chunk(10));
    wire::BufferMap bm;
    std::uint64_t sent = 0;
    f.fill_buffer_map(bm, store, t0, sent);
    auto map = ChunkBitmap::decode(ChunkSeq{10}, 8, bm.bits());
    ASSERT_TRUE(map);
    EXPECT_FALSE(map->test(ChunkSeq{10}));  // held, not yet in the locker
    EXPECT_EQ(bm.range_token().object_chunks(), 2u);
    const auto claims = decade::decode_token_unverified(bm.range_token().token());
    ASSERT_TRUE(claims);
    // From the window's first object to a token lifetime (30 chunks of 1 s) past its
    // end (17), to the end of that object.
    EXPECT_EQ(claims->seq_first, 10u);
    EXPECT_EQ(claims->seq_last, 47u);
}

// A token goes to a neighbour once; the next one when it is re-minted at half its
// lifetime, or when the window outruns it.
TEST(DecadeFetcher, ARangeTokenGoesToEachNeighbourOnceUntilItIsReminted) {
    DecadeFetcher f(config("m", "http://home"));
    ChunkStore store(8, ChunkSeq{10});
    std::uint64_t a = 0, b = 0;
    wire::BufferMap bm;
    f.fill_buffer_map(bm, store, t0, a);
    ASSERT_TRUE(bm.has_range_token());
    const std::string first = bm.range_token().token();
    bm.Clear();
    f.fill_buffer_map(bm, store, t0 + 4s, a);
    EXPECT_FALSE(bm.has_range_token()) << "a has this token";
    f.fill_buffer_map(bm, store, t0 + 4s, b);
    ASSERT_TRUE(bm.has_range_token()) << "b has none yet";
    EXPECT_EQ(bm.range_token().token(), first);
    bm.Clear();
    f.fill_buffer_map(bm, store, t0 + 15s, a);  // half of token_lifetime (30 s)
    ASSERT_TRUE(bm.has_range_token());
    EXPECT_NE(bm.range_token().token(), first);
    // The window moved past what the token names: a new one at once.
    const std::string second = bm.range_token().token();
    store.slide_to(ChunkSeq{45});
    bm.Clear();
    f.fill_buffer_map(bm, store, t0 + 16s, a);
    ASSERT_TRUE(bm.has_range_token());
    EXPECT_NE(bm.range_token().token(), second);
    const auto claims = decade::decode_token_unverified(bm.range_token().token());
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->seq_first, 45u);
}

TEST(DecadeFetcher, ABadTokenIsCountedAndForgotten) {
    Fixture fx;
    Neighbor& n = *fx.table.find(NeighborId{1});
    ASSERT_TRUE(n.range_token);
    wire::RangeToken forged = fx.token;
    forged.set_locker("someone-else");  // the token names l-h
    fx.me.on_range_token(n, forged);
    EXPECT_FALSE(n.range_token);
    EXPECT_EQ(fx.me.stats().token_failures, 1u);
}

TEST(DecadeFetcher, FetchesEachUrgentObjectAloneWithATokenForJustThatName) {
    Fixture fx;
    const auto fetches = fx.tick(t0);
    ASSERT_EQ(fetches.size(), 2u);  // both due within fallback_margin + a chunk: urgent
    for (std::size_t i = 0; i < 2; ++i) {
        ASSERT_EQ(fetches[i].ops.size(), 1u);
        EXPECT_TRUE(fetches[i].urgent);
        const auto& op = fetches[i].ops[0];
        EXPECT_EQ(op.locker(), "l-m");
        EXPECT_EQ(op.remote_server(), "http://home");
        EXPECT_EQ(op.remote_locker(), "l-h");
        EXPECT_EQ(op.remote_token(), fx.token.token());
        const std::uint64_t seq = 100 + i;
        EXPECT_EQ(op.name(), "ch-" + std::to_string(seq));
        const auto own = decade::decode_token_unverified(op.token());
        ASSERT_TRUE(own);
        EXPECT_EQ(own->locker, "l-m");
        EXPECT_EQ(own->ops, decade::op_bit(decade::Op::put) | decade::op_bit(decade::Op::get));
        EXPECT_EQ(own->seq_first, seq);
        EXPECT_EQ(own->seq_last, seq);
        EXPECT_EQ(own->token_id, fetches[i].id);
    }
    EXPECT_EQ(fx.me.stats().requests, 2u);
    // Nothing is asked twice while in flight.
    EXPECT_TRUE(fx.tick(t0 + 100ms).empty());
}

// Playing, a lone object far from its deadline waits up to two chunks for a second one,
// then both go in one request; alone, it goes when the two chunks are up.
TEST(DecadeFetcher, ALoneObjectFarFromItsDeadlineWaitsForASecondToShareARequest) {
    for (const bool second_comes : {true, false}) {
        SCOPED_TRACE(second_comes ? "a second object comes" : "none comes");
        Fixture fx;
        ASSERT_TRUE(fx.start_playing());
        Neighbor& n = *fx.table.find(NeighborId{1});
        n.map->set(ChunkSeq{106});  // due 6 s from now, within fetch_ahead (7 s)
        const auto tick = [&](TimePoint at) {
            return fx.me.schedule(fx.table, fx.store, fx.playback, ChunkSeq{110}, 1000, fx.rng, at);
        };
        EXPECT_TRUE(tick(t0).empty());
        if (second_comes) {
            n.map->set(ChunkSeq{107});
            const auto f = tick(t0 + 1s);
            ASSERT_EQ(f.size(), 1u);
            ASSERT_EQ(f[0].ops.size(), 2u);
            EXPECT_EQ(f[0].ops[0].name(), "ch-106");
            EXPECT_EQ(f[0].ops[1].name(), "ch-107");
        } else {
            EXPECT_TRUE(tick(t0 + 1900ms).empty());
            const auto f = tick(t0 + 2s);
            ASSERT_EQ(f.size(), 1u);
            ASSERT_EQ(f[0].ops.size(), 1u);
            EXPECT_EQ(f[0].ops[0].name(), "ch-106");
        }
    }
}

// Playing, what our server holds is asked only once due within fetch_ahead: a newcomer
// 8 s behind live takes its lag a chunk at a time, not all at once.
TEST(DecadeFetcher, WhatOurServerHoldsIsAskedOnlyWithinFetchAhead) {
    Fixture fx;
    ASSERT_TRUE(fx.start_playing());
    Neighbor& n = *fx.table.find(NeighborId{1});
    n.map->set(ChunkSeq{108});  // due 8 s from now
    n.map->set(ChunkSeq{109});
    const auto tick = [&](TimePoint at) {
        return fx.me.schedule(fx.table, fx.store, fx.playback, ChunkSeq{110}, 1000, fx.rng, at);
    };
    EXPECT_TRUE(tick(t0).empty());
    // Playback moves on (100 and 101 played): 108 and 109 come within 7 s of their turn.
    fx.store.insert(signed_chunk(102));
    fx.store.insert(signed_chunk(103));
    fx.playback.advance(t0 + 2s, fx.store.bitmap());
    const auto f = tick(t0 + 2s);
    ASSERT_EQ(f.size(), 1u);
    ASSERT_EQ(f[0].ops.size(), 2u);
    EXPECT_EQ(f[0].ops[0].name(), "ch-108");
    EXPECT_EQ(f[0].ops[1].name(), "ch-109");
}

// A request in flight is trusted with half the time its chunk had left when asked; the
// native fallback waits until then, so a peer close to live does not fetch each chunk twice.
TEST(DecadeFetcher, AChunkInFlightIsAwaitedForHalfTheTimeItHadLeft) {
    Fixture fx;
    ASSERT_TRUE(fx.start_playing());  // 100 due at t0, 102 at t0 + 2 s
    fx.table.find(NeighborId{1})->map->set(ChunkSeq{102});
    const auto f = fx.me.schedule(fx.table, fx.store, fx.playback, ChunkSeq{102}, 1000, fx.rng, t0);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(fx.me.awaited(fx.playback, t0 + 900ms), std::set<ChunkSeq>{ChunkSeq{102}});
    EXPECT_TRUE(fx.me.awaited(fx.playback, t0 + 1s).empty());  // 1 s left: ask natively too
}

TEST(DecadeFetcher, ATimeoutBlocksStorageAndCalmsCopiesAcross) {
    Fixture fx;
    ASSERT_FALSE(fx.tick(t0).empty());
    EXPECT_FALSE(fx.me.blocked(t0 + 1s));
    EXPECT_TRUE(fx.tick(t0 + 8s).empty());  // both time out; blocked for down_backoff
    EXPECT_EQ(fx.me.stats().failed_requests, 2u);
    EXPECT_TRUE(fx.me.blocked(t0 + 10s));
    EXPECT_FALSE(fx.me.blocked(t0 + 11s));
}

TEST(DecadeFetcher, AFarHolderWaitsUntilTheDeadlineIsNear) {
    Fixture fx("http://far");
    // Seq 100 is due now and 101 in a second: both within fallback_margin, so both copy.
    EXPECT_EQ(fx.tick(t0).size(), 2u);
    EXPECT_EQ(fx.me.stats().cross_server, 2u);
}

TEST(DecadeFetcher, VerifiedChunksAreStoredAndAdvertisedABadObjectBansItsHolder) {
    Fixture fx;
    const auto fetches = fx.tick(t0);
    ASSERT_EQ(fetches.size(), 2u);
    std::vector<NeighborId> dropped;
    const auto drop = [&](NeighborId id, const std::string&) { dropped.push_back(id); };
    Traffic traffic;
    std::uint64_t chunk_bytes = 1000;
    DecadeResult good;
    good.objects.push_back({Errc::ok, encode_object({signed_chunk(100)}), {}});
    auto got = fx.me.on_fetched(fetches[0].id, good, fx.table, fx.store, traffic, chunk_bytes, drop,
                                t0 + 200ms);
    EXPECT_TRUE(got.known);
    EXPECT_TRUE(got.delivered);
    EXPECT_EQ(got.advertise, std::vector<ChunkSeq>{ChunkSeq{100}});
    EXPECT_TRUE(fx.store.has(ChunkSeq{100}));
    EXPECT_TRUE(fx.me.locker().contains(ChunkSeq{100}));
    EXPECT_NE(chunk_bytes, 1000u);  // follows the size of what came
    EXPECT_TRUE(dropped.empty());
    // An answer for an id we no longer wait for is ignored.
    EXPECT_FALSE(fx.me
                     .on_fetched(fetches[0].id, good, fx.table, fx.store, traffic, chunk_bytes,
                                 drop, t0 + 300ms)
                     .known);
    // Chunk 101 changed after signing: never stored, and its holder is banned.
    auto forged = std::make_shared<wire::Chunk>(*signed_chunk(101));
    forged->set_payload("changed");
    DecadeResult bad;
    bad.objects.push_back({Errc::ok, encode_object({forged}), {}});
    got = fx.me.on_fetched(fetches[1].id, bad, fx.table, fx.store, traffic, chunk_bytes, drop,
                           t0 + 300ms);
    EXPECT_TRUE(got.advertise.empty());
    EXPECT_FALSE(fx.store.has(ChunkSeq{101}));
    EXPECT_EQ(traffic.chunks_rejected, 1u);
    EXPECT_EQ(dropped, std::vector<NeighborId>{NeighborId{1}});
    EXPECT_TRUE(fx.table.banned_endpoint("h:1"));
}

// A driver may hand over the object already decoded (the simulator shares one decode
// between engines): the store keeps those very chunks, and they are judged exactly as
// decoded ones: a forged chunk bans the holder.
TEST(DecadeFetcher, PreDecodedChunksAreSharedAndCheckedAsAnyOther) {
    Fixture fx;
    const auto fetches = fx.tick(t0);
    ASSERT_EQ(fetches.size(), 2u);
    std::vector<NeighborId> dropped;
    const auto drop = [&](NeighborId id, const std::string&) { dropped.push_back(id); };
    Traffic traffic;
    std::uint64_t chunk_bytes = 1000;
    const auto chunk = signed_chunk(100);
    DecadeResult good;
    good.objects.push_back({Errc::ok, encode_object({chunk}), {chunk}});
    const auto got = fx.me.on_fetched(fetches[0].id, good, fx.table, fx.store, traffic, chunk_bytes,
                                      drop, t0 + 200ms);
    EXPECT_EQ(got.advertise, std::vector<ChunkSeq>{ChunkSeq{100}});
    EXPECT_EQ(fx.store.get(ChunkSeq{100}).get(), chunk.get()) << "the same object, not a copy";
    EXPECT_TRUE(dropped.empty());

    auto forged = std::make_shared<wire::Chunk>(*signed_chunk(101));
    forged->set_payload("changed");
    DecadeResult bad;
    // The bytes are honest, the decode handed over is not: the decode is what is checked.
    bad.objects.push_back({Errc::ok, encode_object({signed_chunk(101)}), {forged}});
    const auto refused = fx.me.on_fetched(fetches[1].id, bad, fx.table, fx.store, traffic,
                                          chunk_bytes, drop, t0 + 300ms);
    EXPECT_TRUE(refused.advertise.empty());
    EXPECT_FALSE(fx.store.has(ChunkSeq{101}));
    EXPECT_EQ(traffic.chunks_rejected, 1u);
    EXPECT_EQ(dropped.size(), 1u);
}

TEST(DecadeFetcher, TheOriginPutsEachWholeObjectAndRetriesUpToThreeTimes) {
    EngineConfig c = config("s", "http://home", 2);
    c.origin = true;
    DecadeFetcher f(c);
    ChunkStore store(8, ChunkSeq{0});
    store.insert(signed_chunk(0));
    EXPECT_FALSE(f.on_origin_chunk(ChunkSeq{0}, store, t0));  // waits for the object's last
    store.insert(signed_chunk(1));
    auto put = f.on_origin_chunk(ChunkSeq{1}, store, t0);
    ASSERT_TRUE(put);
    EXPECT_EQ(put->name, "ch-0");
    auto decoded = decode_object(*put->data, 2);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->size(), 2u);
    const auto claims = decade::decode_token_unverified(put->token);
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->ops, decade::op_bit(decade::Op::put));
    EXPECT_EQ(claims->seq_first, 0u);
    EXPECT_EQ(claims->seq_last, 0u);
    // Two failures, each retried; the third try succeeds and the seqs are advertised.
    for (int i = 0; i < 2; ++i) {
        auto out = f.on_put(put->id, DecadeResult{Errc::unavailable, 0s, {}, 0}, store, t0);
        ASSERT_TRUE(out.retry) << i;
        put = out.retry;
    }
    EXPECT_EQ(f.stats().put_failures, 2u);
    auto ok = f.on_put(put->id, DecadeResult{}, store, t0);
    EXPECT_FALSE(ok.retry);
    EXPECT_EQ(ok.advertise, (std::vector<ChunkSeq>{ChunkSeq{0}, ChunkSeq{1}}));
    EXPECT_EQ(f.stats().puts, 3u);
    // A put that times out after the third try is given up.
    store.insert(signed_chunk(3));
    put = f.on_origin_chunk(ChunkSeq{3}, store, t0);
    ASSERT_TRUE(put);
    NeighborTable table(16, 256);
    auto retries = f.maintain(table, store, t0 + 8s);
    ASSERT_EQ(retries.size(), 1u);
    retries = f.maintain(table, store, t0 + 16s);
    ASSERT_EQ(retries.size(), 1u);
    retries = f.maintain(table, store, t0 + 24s);
    EXPECT_TRUE(retries.empty());
}

}  // namespace
}  // namespace p2pls::peer
