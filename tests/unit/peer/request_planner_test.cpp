// The steps around schedule(): late requests, what is needed (natively or as a DECADE
// fallback), who may be asked, and the Requests that go out.
#include "peer/core/request_planner.hpp"

#include <gtest/gtest.h>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1h;

EngineConfig config() {
    EngineConfig c;
    c.peer_id = PeerId{"me"};
    return c;
}

Neighbor holder(std::uint32_t id, bool source = false) {
    Neighbor n;
    n.id = NeighborId{id};
    n.established = true;
    n.is_source = source;
    n.peer_id = PeerId{"p" + std::to_string(id)};
    n.map = ChunkBitmap(64, ChunkSeq{0});
    n.rate_bytes_per_s = 100'000;
    return n;
}

// A peer joined at seq 10 that has not started: seq s is due in (s - 10) s.
struct Fixture {
    Fixture() {
        playback.join(ChunkSeq{10});
        store.slide_to(ChunkSeq{0});
        edge.observe(ChunkSeq{30}, true, t0);
    }
    EngineConfig c = config();
    NeighborTable table{16, 256};
    ChunkStore store{64};
    Playback playback{1s, 2, 1s, t0};
    LiveEdge edge{1s};
};

TEST(RequestPlanner, LateRequestsFreeTheSlotAndSlowTheHolderDown) {
    Fixture f;
    RequestPlanner p(f.c, t0);
    Neighbor a = holder(1);
    a.in_flight[ChunkSeq{25}] = t0;  // far from its deadline: late after request_timeout
    a.in_flight[ChunkSeq{11}] = t0;  // close to it: late after a third of that
    f.table.add(a);
    auto late = p.expire_late(f.table, f.playback, t0 + 999ms);
    EXPECT_TRUE(late.late.empty());
    late = p.expire_late(f.table, f.playback, t0 + 1s);
    ASSERT_EQ(late.late.size(), 1u);
    EXPECT_EQ(late.late.at(ChunkSeq{11}), NeighborId{1});
    const Neighbor& n = *f.table.find(NeighborId{1});
    EXPECT_EQ(n.rate_bytes_per_s, 50'000);
    EXPECT_TRUE(n.abandoned.contains(ChunkSeq{11}));
    EXPECT_EQ(n.in_flight.size(), 1u);
    late = p.expire_late(f.table, f.playback, t0 + 3s);
    EXPECT_EQ(late.late.size(), 1u);
    EXPECT_TRUE(late.too_slow.empty());  // late twice in a row: not yet max_late (3)
}

TEST(RequestPlanner, LateMaxLateTimesInARowIsTooSlowExceptForTheSource) {
    Fixture f;
    RequestPlanner p(f.c, t0);
    Neighbor a = holder(1);
    Neighbor s = holder(2, true);
    for (std::uint64_t seq : {20, 21, 22}) {
        a.in_flight[ChunkSeq{seq}] = t0;
        s.in_flight[ChunkSeq{seq}] = t0;
    }
    f.table.add(a);
    f.table.add(s);
    const auto late = p.expire_late(f.table, f.playback, t0 + 3s);
    EXPECT_EQ(late.too_slow, std::vector<NeighborId>{NeighborId{1}});
}

TEST(RequestPlanner, NeedsAreWhatIsNeitherHeldNorAskedAndHoldersHaveFreeSlots) {
    Fixture f;
    RequestPlanner p(f.c, t0);
    wire::Chunk c12;
    c12.set_seq(12);
    f.store.insert(std::make_shared<const wire::Chunk>(c12));
    Neighbor a = holder(1);
    a.map->set(ChunkSeq{11});
    a.in_flight[ChunkSeq{13}] = t0;
    Neighbor busy = holder(2);
    busy.busy_until = t0 + 1s;
    Neighbor decade = holder(3);
    decade.decade = true;  // serves from its locker, never natively
    f.table.add(a);
    f.table.add(busy);
    f.table.add(decade);
    const SchedulerInput in = p.input(f.table, f.store, f.playback, f.edge, {}, 1000, {}, t0);
    ASSERT_FALSE(in.needs.empty());
    EXPECT_EQ(in.needs.front().seq, ChunkSeq{10});
    for (const ChunkNeed& n : in.needs) {
        EXPECT_NE(n.seq, ChunkSeq{12});  // held
        EXPECT_NE(n.seq, ChunkSeq{13});  // asked
    }
    EXPECT_EQ(in.needs.back().seq, ChunkSeq{30});  // up to the live edge
    EXPECT_EQ(in.max_assignments, 3u);             // 4 in all, one is out
    ASSERT_EQ(in.holders.size(), 2u);
    EXPECT_EQ(in.holders[0].free_slots, 3u);
    EXPECT_EQ(in.holders[0].queued_bytes, 1000u);
    EXPECT_EQ(in.holders[1].free_slots, 0u);  // Busy for another second
}

TEST(RequestPlanner, ADecadePeerAsksNativelyOnlyWhatStorageCannotBringInTime) {
    Fixture f;
    f.c.decade.enabled = true;  // fallback_margin 2 s
    RequestPlanner p(f.c, t0);
    f.table.add(holder(1, true));
    auto in = p.input(f.table, f.store, f.playback, f.edge, {}, 1000, {}, t0);
    ASSERT_EQ(in.needs.size(), 2u);  // due in 0 s and 1 s
    EXPECT_EQ(in.needs[1].seq, ChunkSeq{11});
    // A storage request still bringing 11 in time: only 10 goes native.
    in = p.input(f.table, f.store, f.playback, f.edge, {}, 1000, {false, {ChunkSeq{11}}}, t0);
    ASSERT_EQ(in.needs.size(), 1u);
    EXPECT_EQ(in.needs[0].seq, ChunkSeq{10});
    // Storage failing: the whole urgent window (6 s) goes native.
    in = p.input(f.table, f.store, f.playback, f.edge, {}, 1000, {true, {}}, t0);
    EXPECT_EQ(in.needs.size(), 6u);
    EXPECT_FALSE(in.first_fetch_slot);  // first fetches are for native peers
}

TEST(RequestPlanner, OneRequestPerNeighbourAndDueSoonMarking) {
    Fixture f;
    f.c.startup_patience = 0s;  // not started and out of patience: startup chunks are due soon
    RequestPlanner p(f.c, t0);
    f.table.add(holder(1));
    f.table.add(holder(2, true));
    const std::vector<Assignment> plan = {{NeighborId{1}, ChunkSeq{10}, false},
                                          {NeighborId{1}, ChunkSeq{20}, false},
                                          {NeighborId{2}, ChunkSeq{21}, true},
                                          {NeighborId{1}, ChunkSeq{11}, false}};
    const auto out = p.requests(plan, f.table, f.playback, t0);
    ASSERT_EQ(out.size(), 3u);
    // Neighbour 1: the not-due-soon request first (ordered by neighbour, then marking).
    EXPECT_EQ(out[0].first, NeighborId{1});
    EXPECT_FALSE(out[0].second.request().due_soon());
    EXPECT_EQ(out[0].second.request().seqs_size(), 1);
    EXPECT_EQ(out[1].first, NeighborId{1});
    EXPECT_TRUE(out[1].second.request().due_soon());
    EXPECT_EQ(out[1].second.request().seqs_size(), 2);  // 10 and 11: the startup buffer
    EXPECT_EQ(out[2].first, NeighborId{2});
    EXPECT_EQ(p.first_fetch_out(), ChunkSeq{21});
    EXPECT_EQ(f.table.find(NeighborId{1})->in_flight.size(), 3u);
}

TEST(RequestPlanner, DueSoonWhilePlayingIsByTheDeadline) {
    Fixture f;
    RequestPlanner p(f.c, t0);
    EXPECT_FALSE(p.due_soon(ChunkSeq{10}, f.playback, t0));  // patience not yet out
    EXPECT_TRUE(p.due_soon(ChunkSeq{11}, f.playback, t0 + 5s));
    EXPECT_FALSE(p.due_soon(ChunkSeq{12}, f.playback, t0 + 5s));  // past the startup buffer
    ChunkBitmap held(64, ChunkSeq{0});
    held.set(ChunkSeq{10});
    held.set(ChunkSeq{11});
    f.playback.advance(t0, held);
    ASSERT_TRUE(f.playback.started());
    EXPECT_TRUE(p.due_soon(ChunkSeq{11}, f.playback, t0));
    EXPECT_FALSE(p.due_soon(ChunkSeq{13}, f.playback, t0));
}

TEST(RequestPlanner, BeforeStartupTheStartPointMovesToWhatTheSourceStillHas) {
    Fixture f;
    RequestPlanner p(f.c, t0);
    Neighbor s = holder(1, true);
    s.map->set(ChunkSeq{14});
    s.map->set(ChunkSeq{15});
    f.table.add(s);
    p.move_start_point(f.table, f.playback, f.store, ChunkSeq{30});
    EXPECT_EQ(f.playback.playhead(), ChunkSeq{14});
    // Left twice the startup lag (8 s) behind: a fresh start at live edge - lag.
    p.move_start_point(f.table, f.playback, f.store, ChunkSeq{40});
    EXPECT_EQ(f.playback.playhead(), ChunkSeq{32});
}

}  // namespace
}  // namespace p2pls::peer
