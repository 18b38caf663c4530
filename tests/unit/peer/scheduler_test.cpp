// The pull scheduler in scenario form: each holder's window is a string over the seqs
// 0..n-1 ('x' = holds it), every seq is missing here unless said otherwise, and seq i is
// due in (i + 1) seconds.
#include "peer/core/scheduler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

struct Holder {
    std::string name{};  // one letter; "S" is the source
    std::string has{};   // "xx.x"
    std::uint32_t slots = 4;
    double rate = 100'000;
    std::string outstanding = "";  // seqs already asked of it ('x')
};

struct Scenario {
    std::vector<Holder> holders{};
    std::string missing{};  // 'm' = we need it; default: all seqs
    Duration urgent = 3s;
    std::map<std::uint64_t, char> late_from = {};
    std::string first_fetch = "";  // 'f' = we are among the seq's first fetchers
    bool first_fetch_slot = true;
    std::size_t max_assignments = static_cast<std::size_t>(-1);
};

// "A0 B1 S4": who is asked for which seq, in decision order.
std::string run(const Scenario& s) {
    std::vector<ChunkBitmap> maps;
    std::vector<std::map<ChunkSeq, TimePoint>> outstanding;
    maps.reserve(s.holders.size());
    outstanding.reserve(s.holders.size());
    SchedulerInput in;
    in.urgent_window = s.urgent;
    in.chunk_bytes = 50'000;
    in.first_fetch_slot = s.first_fetch_slot;
    in.max_assignments = s.max_assignments;
    for (std::size_t i = 0; i < s.holders.size(); ++i) {
        const Holder& h = s.holders[i];
        maps.emplace_back(64, ChunkSeq{0});
        outstanding.emplace_back();
        for (std::size_t k = 0; k < h.has.size(); ++k) {
            if (h.has[k] == 'x') {
                maps.back().set(ChunkSeq{k});
            }
            if (k < h.outstanding.size() && h.outstanding[k] == 'x') {
                outstanding.back()[ChunkSeq{k}] = TimePoint{};
            }
        }
    }
    for (std::size_t i = 0; i < s.holders.size(); ++i) {
        const Holder& h = s.holders[i];
        in.holders.push_back({NeighborId{static_cast<std::uint32_t>(h.name[0])}, &maps[i],
                              h.name == "S", h.slots, h.rate, 0, &outstanding[i]});
    }
    const std::size_t n = s.holders.front().has.size();
    for (std::size_t k = 0; k < n; ++k) {
        if (!s.missing.empty() && s.missing[k] != 'm') {
            continue;
        }
        ChunkNeed need{ChunkSeq{k}, std::chrono::seconds(k + 1), std::nullopt};
        need.first_fetch = k < s.first_fetch.size() && s.first_fetch[k] == 'f';
        if (auto it = s.late_from.find(k); it != s.late_from.end()) {
            need.late_from = NeighborId{static_cast<std::uint32_t>(it->second)};
        }
        in.needs.push_back(need);
    }
    std::string out;
    for (const Assignment& a : schedule(in)) {
        out += (out.empty() ? "" : " ") + std::string(1, static_cast<char>(a.to.value())) +
               std::to_string(a.seq.value());
    }
    return out;
}

TEST(Scheduler, UrgentInSeqOrderThenRarestFirst) {
    // seqs 0,1 urgent (due in 1 s, 2 s); 2..5 not. Seq 4 is rarest (only B), then 5 (A, C).
    EXPECT_EQ(run({.holders = {{"A", "xxxxxx.", 10}, {"B", "xxxxxxx", 10}, {"C", "xxx..xx", 10}},
                   .urgent = 2500ms}),
              "A0 B1 A3 B4 C6 C2 A5");
}

TEST(Scheduler, SpreadsByMeasuredRate) {
    // B is four times faster than A: it gets more of the load.
    EXPECT_EQ(run({.holders = {{"A", "xxxxx", 4, 25'000}, {"B", "xxxxx", 4, 100'000}}}),
              "B0 B1 B2 A3 B4");
}

TEST(Scheduler, BoundsRequestsPerNeighbour) {
    EXPECT_EQ(run({.holders = {{"A", "xxxxxx", 2}, {"B", "..xx..", 1}}}), "A0 A1 B2");
}

TEST(Scheduler, SourceOnlyForUrgentChunksNoNeighbourHas) {
    // 0 and 1 are urgent; A has 1; nobody but the source has 0, 3, 4; 3 and 4 are not urgent.
    EXPECT_EQ(run({.holders = {{"A", ".x...", 4}, {"S", "xxxxx", 4}}, .urgent = 2500ms}), "S0 A1");
}

TEST(Scheduler, SourceAsLastResortWhenHoldersAreSaturated) {
    // A holds both but has no free slot: seq 0 (due in 1 s) is in the last third of the
    // urgent window (3.5 s), so the source is asked; seq 1 (due in 2 s) waits for A.
    EXPECT_EQ(run({.holders = {{"A", "xx", 0}, {"S", "xx", 4}}, .urgent = 3500ms}), "S0");
}

TEST(Scheduler, LateRequestGoesToAnotherHolder) {
    EXPECT_EQ(run({.holders = {{"A", "x..", 4, 1e6}, {"B", "x..", 4, 1}}, .late_from = {{0, 'A'}}}),
              "B0");
    // ... and waits when the late holder is the only one.
    EXPECT_EQ(run({.holders = {{"A", "x..", 4}}, .late_from = {{0, 'A'}}}), "");
}

TEST(Scheduler, NeverAsksTheSameHolderTwiceForAChunkStillComing) {
    EXPECT_EQ(run({.holders = {{"A", "xx", 4, 1e6, "x."}, {"B", "xx", 4, 1}}}), "B0 A1");
}

TEST(Scheduler, FirstFetcherTakesANewChunkFromTheSourceBeforeItIsUrgent) {
    // Seqs 3 and 4 are new: only the source holds them, neither is urgent. We are a first
    // fetcher of both, but one first fetch goes out at a time: the oldest, ranked with
    // the non-urgent chunks (rarest first).
    EXPECT_EQ(run({.holders = {{"A", "xxx..", 4}, {"S", "xxxxx", 4}},
                   .urgent = 1500ms,
                   .first_fetch = "...ff"}),
              "A0 S3 A1 A2");
    // Not a first fetcher: the new chunks wait for a neighbour.
    EXPECT_EQ(run({.holders = {{"A", "xxx..", 4}, {"S", "xxxxx", 4}}, .urgent = 1500ms}),
              "A0 A1 A2");
    // The slot is taken (a first fetch is out): nothing more goes to the source.
    EXPECT_EQ(run({.holders = {{"A", "xxx..", 4}, {"S", "xxxxx", 4}},
                   .urgent = 1500ms,
                   .first_fetch = "...ff",
                   .first_fetch_slot = false}),
              "A0 A1 A2");
}

TEST(Scheduler, FirstFetchAsksANeighbourThatAlreadyHoldsIt) {
    EXPECT_EQ(run({.holders = {{"A", "...x", 4}, {"S", "xxxx", 4}},
                   .missing = "...m",
                   .urgent = 1500ms,
                   .first_fetch = "...f"}),
              "A3");
}

TEST(Scheduler, FirstFetchPassesTheCapsThatUrgentRequestsFilled) {
    // No request may go out (the requester's cap is reached) and the source's slots are
    // full (0) after a Busy: the first fetch still goes, the urgent chunk waits.
    EXPECT_EQ(run({.holders = {{"A", "x...", 0}, {"S", "xxxx", 0}},
                   .urgent = 1500ms,
                   .first_fetch = "...f",
                   .max_assignments = 0}),
              "S3");
}

TEST(Scheduler, NothingToDoWithoutHolders) {
    EXPECT_EQ(run({.holders = {{"A", "....", 4}}}), "");
}

}  // namespace
}  // namespace p2pls::peer
