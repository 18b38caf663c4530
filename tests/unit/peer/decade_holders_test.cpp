// Whose locker each missing object comes from, in scenario form (as scheduler_test):
// each holder's map is a string over the seqs 0..n-1 ('x' = its locker holds it), every
// seq is missing here unless said otherwise, and objects are k seqs long.
#include "peer/core/decade_holders.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p2pls::peer {
namespace {

using namespace std::chrono_literals;

struct Holder {
    std::string name{};  // one letter
    std::string has{};   // "xx.x"
    bool far = false;    // on another DECADE server
    std::size_t load = 0;
    std::uint64_t token_first = 0;  // object seqs its token covers
    std::uint64_t token_last = 1000;
    bool fresh = true;
    bool origin = false;  // the source
};

struct Scenario {
    std::vector<Holder> holders{};
    std::string missing{};  // 'm' = we need it; default: all seqs
    std::uint64_t k = 1;
    std::string across{};  // 'y' = may copy that seq's object across servers; default: none
    std::string beyond{};  // 'b' = due beyond fetch_ahead; default: none
    bool pick_last = false;
};

// "A0 B2": which holder each object is asked of, in order; then "| AB": the useful ones.
std::string run(const Scenario& s) {
    std::vector<ChunkBitmap> maps;
    maps.reserve(s.holders.size());
    std::vector<DecadeHolderView> views;
    for (const Holder& h : s.holders) {
        maps.emplace_back(64, ChunkSeq{0});
        for (std::size_t i = 0; i < h.has.size(); ++i) {
            if (h.has[i] == 'x') {
                maps.back().set(ChunkSeq{i});
            }
        }
        views.push_back({NeighborId{static_cast<std::uint32_t>(h.name[0])}, &maps.back(),
                         h.token_first, h.token_last, h.fresh, !h.far, h.origin, h.load});
    }
    std::vector<DecadeNeed> needs;
    const std::size_t n = s.holders.front().has.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (!s.missing.empty() && s.missing[i] != 'm') {
            continue;
        }
        needs.push_back({ChunkSeq{i}, ChunkSeq{i - i % s.k},
                         i < s.across.size() && s.across[i] == 'y',
                         i < s.beyond.size() && s.beyond[i] == 'b'});
    }
    const DecadeChoices c = choose_decade_holders(
        needs, views, [&](std::size_t count) { return s.pick_last ? count - 1 : 0; });
    std::string out;
    for (const DecadeChoice& ch : c.choices) {
        out += (out.empty() ? "" : " ") + std::string(1, static_cast<char>(ch.holder.value())) +
               std::to_string(ch.object.value());
    }
    out += " |";
    for (NeighborId id : c.useful) {
        out += std::string(1, static_cast<char>(id.value()));
    }
    return out;
}

TEST(DecadeHolders, OwnServerFirstThenLeastLoaded) {
    EXPECT_EQ(run({.holders = {{.name = "A", .has = "xxx", .far = true},
                               {.name = "B", .has = "xxx", .load = 1},
                               {.name = "C", .has = "xxx", .load = 2}},
                   .across = "yyy"}),
              // B is ours and least loaded; each choice loads it, so C gets a turn at 2.
              "B0 B1 C2 |ABC");
}

TEST(DecadeHolders, AFarHolderOnlyWhenTheObjectMayCopyAcross) {
    const Scenario s{
        .holders = {{.name = "A", .has = "xxxx", .far = true}, {.name = "B", .has = "..x."}},
        .across = ".y.."};
    // 0 and 3: only the far holder, not allowed yet; 1: allowed; 2: ours.
    EXPECT_EQ(run(s), "A1 B2 |AB");
}

TEST(DecadeHolders, AcrossServersTheSourceFirst) {
    // A and S are far; S is the source. Every peer of our server asks S alike, so that
    // our server copies each object once for all of them, however loaded S is.
    EXPECT_EQ(run({.holders = {{.name = "A", .has = "xxx", .far = true},
                               {.name = "S", .has = "xxx", .far = true, .load = 4, .origin = true}},
                   .across = "yyy"}),
              "S0 S1 S2 |AS");
    // Our own server still comes before the source.
    EXPECT_EQ(run({.holders = {{.name = "B", .has = "x", .load = 3},
                               {.name = "S", .has = "x", .far = true, .origin = true}},
                   .across = "y"}),
              "B0 |BS");
}

TEST(DecadeHolders, BeyondTheHorizonOnlyCopiesWhatOurServerLacks) {
    // Seqs 2 and 3 are due beyond fetch_ahead. 2 is on our server (B): it waits, to be
    // linked when its turn comes. 3 is only on another server: copied in now.
    EXPECT_EQ(
        run({.holders = {{.name = "A", .has = "xxxx", .far = true}, {.name = "B", .has = "xxx."}},
             .across = "yyyy",
             .beyond = "..bb"}),
        "B0 B1 A3 |AB");
}

TEST(DecadeHolders, HeldIsNotEnoughTheTokenMustCoverAndOutliveTheNextSecond) {
    EXPECT_EQ(run({.holders = {{.name = "A", .has = "xxxx", .token_first = 1, .token_last = 2},
                               {.name = "B", .has = "xxxx", .fresh = false}}}),
              "A1 A2 |A");
    EXPECT_EQ(run({.holders = {{.name = "A", .has = "x..."}}, .missing = ".mmm"}), " |");
}

TEST(DecadeHolders, OneChoicePerObjectFromItsFirstMissingSeq) {
    // k = 2: objects 0 (seqs 0, 1) and 2 (seqs 2, 3). B holds only seq 1 of object 0.
    EXPECT_EQ(
        run({.holders = {{.name = "A", .has = "..xx"}, {.name = "B", .has = ".x.."}}, .k = 2}),
        "B0 A2 |AB");
    // Seq 0 is held here: object 0 is chosen from seq 1's holders.
    EXPECT_EQ(run({.holders = {{.name = "A", .has = "xx"}}, .missing = ".m", .k = 2}), "A0 |A");
}

TEST(DecadeHolders, PickChoosesAmongEquals) {
    const Scenario s{.holders = {{.name = "A", .has = "x"}, {.name = "B", .has = "x"}},
                     .pick_last = true};
    EXPECT_EQ(run(s), "B0 |AB");
}

TEST(DecadeHolders, CopyAcrossIsForTheEarlyShareOrOnlyNearTheDeadline) {
    DecadeConfig c;
    c.cross_server_share = 6;
    c.fallback_margin = 2s;
    c.cross_server_spread = 1500ms;
    int early = 0;
    for (std::uint64_t o = 0; o < 600; ++o) {
        const bool now = may_copy_across(12345, ChunkSeq{o}, 1h, false, c);
        early += now ? 1 : 0;
        // Early ones copy at any time, calm or not; the others never this far out.
        EXPECT_EQ(may_copy_across(12345, ChunkSeq{o}, 1h, true, c), now) << o;
        // Within fallback_margin everyone may, unless calm.
        EXPECT_TRUE(may_copy_across(12345, ChunkSeq{o}, 1999ms, false, c)) << o;
        EXPECT_EQ(may_copy_across(12345, ChunkSeq{o}, 1999ms, true, c), now) << o;
        // Past fallback_margin + cross_server_spread only the early share.
        EXPECT_EQ(may_copy_across(12345, ChunkSeq{o}, 3500ms, false, c), now) << o;
    }
    // About one in cross_server_share.
    EXPECT_GT(early, 60);
    EXPECT_LT(early, 140);
}

}  // namespace
}  // namespace p2pls::peer
