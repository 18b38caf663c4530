#include "decade-server/core/egress.hpp"

#include <gtest/gtest.h>

#include <map>

namespace p2pls::decade_server {
namespace {

using std::chrono::milliseconds;
const TimePoint t0{std::chrono::seconds(1)};

// Greedy lockers that always have responses waiting; returns bytes granted per locker
// over `duration` of virtual time.
std::map<std::string, std::uint64_t> saturate(EgressScheduler& s,
                                              const std::map<std::string, std::uint32_t>& shares,
                                              std::uint64_t object_bytes, Duration duration) {
    std::map<std::uint64_t, std::string> owner;
    std::map<std::string, int> queued;
    std::map<std::string, std::uint64_t> got;
    for (TimePoint now = t0; now < t0 + duration; now += milliseconds(1)) {
        for (const auto& [name, share] : shares) {
            while (queued[name] < 4) {
                owner[s.enqueue(name, share, object_bytes)] = name;
                ++queued[name];
            }
        }
        for (auto ticket : s.poll(now)) {
            got[owner[ticket]] += object_bytes;
            --queued[owner[ticket]];
        }
    }
    return got;
}

TEST(Egress, SaturatingLoadGetsTheCap) {
    constexpr std::uint64_t kRate = 1'000'000;  // bytes/s
    EgressScheduler s(kRate, 64 * 1024, t0);
    const auto got = saturate(s, {{"a", 1}}, 64 * 1024, std::chrono::seconds(10));
    const double delivered = static_cast<double>(got.at("a"));
    EXPECT_GE(delivered, 0.94 * kRate * 10);
    EXPECT_LE(delivered, 1.01 * kRate * 10 + 2 * 64 * 1024);
}

TEST(Egress, EqualSharesSplitEvenly) {
    EgressScheduler s(1'000'000, 64 * 1024, t0);
    const auto got = saturate(s, {{"a", 1}, {"b", 1}, {"c", 1}}, 10'000, std::chrono::seconds(5));
    for (const auto& [name, bytes] : got) {
        EXPECT_NEAR(static_cast<double>(bytes), 5'000'000.0 / 3, 30'000.0) << name;
    }
}

TEST(Egress, WeightsAreHonouredAndSizesDoNotBuyShare) {
    EgressScheduler s(1'000'000, 64 * 1024, t0);
    // "big" sends 10x larger objects but has the same share as "small": same bytes.
    std::map<std::uint64_t, std::string> owner;
    std::map<std::string, std::uint64_t> got;
    std::map<std::string, int> queued;
    const std::map<std::string, std::pair<std::uint32_t, std::uint64_t>> lockers = {
        {"big", {1, 100'000}}, {"small", {1, 10'000}}, {"heavy", {2, 10'000}}};
    for (TimePoint now = t0; now < t0 + std::chrono::seconds(5); now += milliseconds(1)) {
        for (const auto& [name, spec] : lockers) {
            while (queued[name] < 3) {
                owner[s.enqueue(name, spec.first, spec.second)] = name;
                ++queued[name];
            }
        }
        for (auto t : s.poll(now)) {
            got[owner[t]] += lockers.at(owner[t]).second;
            --queued[owner[t]];
        }
    }
    const double unit = static_cast<double>(got["small"]);
    EXPECT_NEAR(static_cast<double>(got["big"]) / unit, 1.0, 0.15);
    EXPECT_NEAR(static_cast<double>(got["heavy"]) / unit, 2.0, 0.2);
}

TEST(Egress, IdleLockerBanksNoCredit) {
    EgressScheduler s(100'000, 10'000, t0);
    std::map<std::uint64_t, std::string> owner;
    TimePoint now = t0;
    for (; now < t0 + std::chrono::seconds(3); now += milliseconds(1)) {
        while (s.waiting() < 2) {
            owner[s.enqueue("a", 1, 1000)] = "a";
        }
        s.poll(now);
    }
    // "b" arrives after 3 s of "a" alone; from then on they alternate.
    std::map<std::string, int> grants;
    for (int i = 0; i < 10; ++i) {
        owner[s.enqueue("b", 1, 1000)] = "b";
        owner[s.enqueue("a", 1, 1000)] = "a";
    }
    for (int step = 0; step < 400 && s.waiting() > 0; ++step, now += milliseconds(1)) {
        for (auto t : s.poll(now)) {
            if (grants["a"] + grants["b"] < 10) {
                ++grants[owner[t]];
            }
        }
    }
    EXPECT_GE(grants["a"], 4);
    EXPECT_GE(grants["b"], 4);
}

TEST(Egress, UnlimitedGrantsAtOnceAndCancelWithdraws) {
    EgressScheduler u(0, 0, t0);
    u.enqueue("a", 1, 1 << 30);
    EXPECT_EQ(u.poll(t0).size(), 1u);
    EXPECT_FALSE(u.next_wakeup(t0).has_value());

    EgressScheduler s(1000, 1000, t0);
    const auto first = s.enqueue("a", 1, 5000);  // takes the bucket into debt
    const auto second = s.enqueue("a", 1, 10);
    EXPECT_EQ(s.poll(t0), std::vector<std::uint64_t>{first});
    ASSERT_TRUE(s.next_wakeup(t0).has_value());
    EXPECT_GT(*s.next_wakeup(t0), t0 + std::chrono::seconds(3));
    s.cancel(second);
    EXPECT_EQ(s.waiting(), 0u);
    EXPECT_TRUE(s.poll(t0 + std::chrono::seconds(10)).empty());
}

}  // namespace
}  // namespace p2pls::decade_server
