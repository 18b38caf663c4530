#include "tracker/core/member_set.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace p2pls::tracker {
namespace {

TimePoint at_s(int s) {
    return TimePoint{std::chrono::seconds(s)};
}

Member member(std::string id, int heard_s) {
    return Member{id, "127.0.0.1:1000", wire::native, "", at_s(heard_s)};
}

std::set<std::string> ids(const MemberSet& set, std::size_t k, std::string_view exclude,
                          std::mt19937_64& rng) {
    std::set<std::string> out;
    set.sample(k, exclude, rng, [&](const Member& m) { out.insert(m.peer_id); });
    return out;
}

TEST(MemberSet, RefreshMovesMemberToNewestEnd) {
    MemberSet set;
    set.upsert(member("a", 0));
    set.upsert(member("b", 1));
    set.upsert(member("c", 2));
    set.upsert(member("a", 3));  // a heard again
    EXPECT_EQ(set.size(), 3u);
    EXPECT_EQ(set.expire_heard_until(at_s(2)), 2u);  // b and c
    EXPECT_NE(set.find("a"), nullptr);
    EXPECT_EQ(set.find("b"), nullptr);
    EXPECT_EQ(*set.oldest_last_seen(), at_s(3));
}

TEST(MemberSet, EraseFromMiddleKeepsOrderAndIndex) {
    MemberSet set;
    for (int i = 0; i < 6; ++i) {
        set.upsert(member("m" + std::to_string(i), i));
    }
    EXPECT_TRUE(set.erase("m1"));
    EXPECT_FALSE(set.erase("m1"));
    EXPECT_TRUE(set.erase("m5"));  // the newest
    EXPECT_TRUE(set.erase("m0"));  // the oldest
    EXPECT_EQ(set.size(), 3u);
    for (const char* id : {"m2", "m3", "m4"}) {
        ASSERT_NE(set.find(id), nullptr) << id;
        EXPECT_EQ(set.find(id)->peer_id, id);
    }
    EXPECT_EQ(*set.oldest_last_seen(), at_s(2));
    EXPECT_EQ(set.expire_heard_until(at_s(3)), 2u);
    EXPECT_EQ(set.find("m4")->peer_id, "m4");
    EXPECT_EQ(set.expire_heard_until(at_s(100)), 1u);
    EXPECT_TRUE(set.empty());
    EXPECT_FALSE(set.oldest_last_seen());
}

TEST(MemberSet, SampleNeverReturnsExcludedOrDuplicates) {
    MemberSet set;
    for (int i = 0; i < 30; ++i) {
        set.upsert(member("m" + std::to_string(i), 0));
    }
    std::mt19937_64 rng(7);
    for (int round = 0; round < 500; ++round) {
        std::vector<std::string> got;
        set.sample(20, "m13", rng, [&](const Member& m) { got.push_back(m.peer_id); });
        ASSERT_EQ(got.size(), 20u);
        EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 20u);
        EXPECT_EQ(std::count(got.begin(), got.end(), "m13"), 0);
    }
    // Asking for more than there are: everyone but the asker.
    auto all = ids(set, 100, "m0", rng);
    EXPECT_EQ(all.size(), 29u);
    EXPECT_EQ(all.count("m0"), 0u);
    EXPECT_EQ(ids(set, 100, "stranger", rng).size(), 30u);
}

TEST(MemberSet, SampleIsRoughlyUniform) {
    MemberSet set;
    constexpr int kMembers = 40;
    for (int i = 0; i < kMembers; ++i) {
        set.upsert(member("m" + std::to_string(i), 0));
    }
    std::mt19937_64 rng(42);
    std::map<std::string, int> hits;
    constexpr int kRounds = 20'000;
    for (int round = 0; round < kRounds; ++round) {
        set.sample(5, "m0", rng, [&](const Member& m) { ++hits[m.peer_id]; });
    }
    EXPECT_EQ(hits.count("m0"), 0u);
    ASSERT_EQ(hits.size(), kMembers - 1u);
    // Each of 39 members is expected 20000 * 5 / 39 ≈ 2564 times; σ ≈ 48.
    const double expected = kRounds * 5.0 / (kMembers - 1);
    for (const auto& [id, n] : hits) {
        EXPECT_NEAR(n, expected, expected * 0.1) << id;
    }
}

TEST(MemberSet, SameSeedSameSample) {
    MemberSet set;
    for (int i = 0; i < 100; ++i) {
        set.upsert(member("m" + std::to_string(i), 0));
    }
    std::mt19937_64 a(5);
    std::mt19937_64 b(5);
    std::vector<std::string> x;
    std::vector<std::string> y;
    set.sample(10, "", a, [&](const Member& m) { x.push_back(m.peer_id); });
    set.sample(10, "", b, [&](const Member& m) { y.push_back(m.peer_id); });
    EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace p2pls::tracker

namespace p2pls::tracker {
namespace {

TEST(MemberSet, BorrowedUpsertRefreshesInPlace) {
    MemberSet set;
    set.upsert("a", "10.0.0.1:1", wire::native, "", at_s(0));
    set.upsert("b", "10.0.0.2:2", wire::native, "", at_s(1));
    set.upsert("a", "10.0.0.9:9", wire::decade, "http://d:1", at_s(2));
    ASSERT_EQ(set.size(), 2u);
    const Member* a = set.find("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->endpoint, "10.0.0.9:9");
    EXPECT_EQ(a->mode, wire::decade);
    EXPECT_EQ(a->decade_server, "http://d:1");
    EXPECT_EQ(set.expire_heard_until(at_s(1)), 1u);  // b is now the oldest
    EXPECT_NE(set.find("a"), nullptr);
}

}  // namespace
}  // namespace p2pls::tracker
