#include "experiments/core/schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace p2pls::experiments {
namespace {

Scenario base(std::uint32_t peers) {
    Scenario s;
    s.name = "t";
    s.peers = peers;
    s.peer_upload_bps = 1000;
    s.duration_s = 100;
    s.flash_crowd_s = 10;
    s.modes = {Mode::native};
    return s;
}

TEST(TestbedSchedule, FlashCrowdStartsEveryPeerOnceWithinT) {
    const Scenario s = base(50);
    const auto events = make_schedule(s);
    ASSERT_EQ(events.size(), 50u);
    std::set<std::uint32_t> peers;
    for (const auto& e : events) {
        EXPECT_EQ(e.kind, PeerEvent::Kind::start);
        EXPECT_GE(e.at_s, 0);
        EXPECT_LT(e.at_s, 10);
        EXPECT_EQ(e.session, 0u);
        peers.insert(e.peer);
    }
    EXPECT_EQ(peers.size(), 50u);
    for (std::size_t i = 1; i < events.size(); ++i) {
        EXPECT_LE(events[i - 1].at_s, events[i].at_s);
    }
}

TEST(TestbedSchedule, SameSeedSameScheduleOtherSeedOther) {
    Scenario s = base(30);
    s.churn.fraction = 0.5;
    s.churn.mean_online_s = 20;
    EXPECT_EQ(make_schedule(s), make_schedule(s));
    Scenario other = s;
    other.seed = 2;
    EXPECT_NE(make_schedule(s), make_schedule(other));
}

TEST(TestbedSchedule, PoissonArrivalsAreIncreasingAndDropThoseAfterTheEnd) {
    Scenario s = base(1000);
    s.arrival = Arrival::poisson;
    s.poisson_rate_per_s = 2;
    const auto events = make_schedule(s);
    // About rate x duration = 200 arrivals fit in 100 s; far fewer than 1000.
    EXPECT_GT(events.size(), 120u);
    EXPECT_LT(events.size(), 300u);
    for (const auto& e : events) {
        EXPECT_LT(e.at_s, s.duration_s);
    }
}

TEST(TestbedSchedule, ChurnAlternatesStopAndRejoinPerPeer) {
    Scenario s = base(40);
    s.churn.fraction = 1.0;
    s.churn.mean_online_s = 15;
    s.churn.mean_offline_s = 5;
    s.churn.graceful = false;
    const auto events = make_schedule(s);
    std::map<std::uint32_t, std::vector<PeerEvent>> by_peer;
    std::size_t stops = 0;
    for (const auto& e : events) {
        by_peer[e.peer].push_back(e);
        if (e.kind == PeerEvent::Kind::stop) {
            ++stops;
            EXPECT_FALSE(e.graceful);
        }
    }
    EXPECT_GT(stops, 40u);  // mean online 15 s in a 100 s run: several leaves per peer
    for (const auto& [peer, list] : by_peer) {
        ASSERT_EQ(list.front().kind, PeerEvent::Kind::start);
        for (std::size_t i = 0; i < list.size(); ++i) {
            // start s0, stop s0, start s1, stop s1, ...
            EXPECT_EQ(list[i].kind, i % 2 == 0 ? PeerEvent::Kind::start : PeerEvent::Kind::stop);
            EXPECT_EQ(list[i].session, i / 2);
            if (i > 0) {
                EXPECT_GE(list[i].at_s, list[i - 1].at_s);
            }
            if (list[i].kind == PeerEvent::Kind::start && i > 0) {
                EXPECT_LT(list[i].at_s, s.duration_s - 10);  // no rejoin in the last 10 s
            }
        }
    }
}

// Who is online just after `t`: peer -> session.
std::map<std::uint32_t, std::uint32_t> online_after(const std::vector<PeerEvent>& events,
                                                    double t) {
    std::map<std::uint32_t, std::uint32_t> online;
    for (const auto& e : events) {
        if (e.at_s > t) {
            break;
        }
        if (e.kind == PeerEvent::Kind::start) {
            online[e.peer] = e.session;
        } else {
            online.erase(e.peer);
        }
    }
    return online;
}

TEST(TestbedSchedule, AMassLeaveTakesItsShareOfTheOnlinePeersAtOnce) {
    Scenario s = base(1000);
    s.churn.fraction = 1.0;
    s.churn.mean_online_s = 600;  // 10 % of the peers leave per minute
    s.churn.mean_offline_s = 5;
    const auto without = make_schedule(s);
    s.mass_leave = {.fraction = 0.3, .at_s = 50, .rejoin_after_s = std::nullopt, .graceful = false};
    const auto with = make_schedule(s);
    const auto before = online_after(without, 50);
    const auto after = online_after(with, 50);
    std::size_t left = 0;
    for (const auto& e : with) {
        if (e.at_s == 50 && e.kind == PeerEvent::Kind::stop) {
            ++left;
            EXPECT_FALSE(e.graceful);
            EXPECT_EQ(before.at(e.peer), e.session) << "only online peers leave, in their session";
        }
    }
    // About 30 % of those online, and nobody else lost a session.
    EXPECT_NEAR(static_cast<double>(left) / static_cast<double>(before.size()), 0.3, 0.05);
    EXPECT_EQ(after.size() + left, before.size());
    // Those who left stay away; the others' schedules are exactly what they were.
    std::set<std::uint32_t> leavers;
    for (const auto& e : with) {
        if (e.at_s == 50 && e.kind == PeerEvent::Kind::stop) {
            leavers.insert(e.peer);
        }
    }
    std::vector<PeerEvent> kept;
    for (const auto& e : with) {
        if (leavers.count(e.peer) == 0) {
            kept.push_back(e);
        } else {
            EXPECT_LE(e.at_s, 50) << "peer " << e.peer << " came back without rejoin_after_s";
        }
    }
    std::vector<PeerEvent> others;
    for (const auto& e : without) {
        if (leavers.count(e.peer) == 0) {
            others.push_back(e);
        }
    }
    EXPECT_EQ(kept, others);

    // With rejoin_after_s, each leaver starts one new session that much later.
    s.mass_leave.rejoin_after_s = 8;
    const auto rejoining = make_schedule(s);
    std::size_t rejoins = 0;
    for (const auto& e : rejoining) {
        if (e.at_s == 58 && e.kind == PeerEvent::Kind::start) {
            ++rejoins;
            EXPECT_EQ(e.session, before.at(e.peer) + 1);
        }
    }
    EXPECT_EQ(rejoins, left);
}

TEST(TestbedSchedule, RegionsFollowSharesAndServersAreInTheirRegion) {
    Scenario s = base(12);
    s.regions = {{.name = "eu", .share = 2, .one_way_delay_ms = 30},
                 {.name = "us", .share = 1, .one_way_delay_ms = 80}};
    s.decade_servers = {{.region = "us", .egress_bps = 0},
                        {.region = "eu", .egress_bps = 0},
                        {.region = "eu", .egress_bps = 0}};
    const auto regions = assign_regions(s);
    std::size_t eu = 0;
    for (const auto r : regions) {
        eu += r == 0 ? 1 : 0;
    }
    EXPECT_EQ(eu, 8u);
    const auto servers = assign_servers(s, regions);
    std::map<std::size_t, int> load;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        EXPECT_EQ(s.decade_servers[servers[i]].region, s.regions[regions[i]].name);
        ++load[servers[i]];
    }
    EXPECT_EQ(load[1], 4);  // eu peers spread over both eu servers
    EXPECT_EQ(load[2], 4);
    EXPECT_EQ(path_delay_ms(s, regions[0], regions[0]), regions[0] == 0 ? 30 : 80);
}

TEST(TestbedSchedule, EachSeedPutsOtherPeersInEachRegion) {
    Scenario s = base(40);
    s.regions = {{.name = "a", .share = 1, .one_way_delay_ms = 5},
                 {.name = "b", .share = 1, .one_way_delay_ms = 5}};
    s.seed = 1;
    const auto one = assign_regions(s);
    s.seed = 2;
    const auto two = assign_regions(s);
    EXPECT_NE(one, two);
    EXPECT_EQ(std::count(one.begin(), one.end(), 0u), 20);  // the shares still hold
    EXPECT_EQ(std::count(two.begin(), two.end(), 0u), 20);
    EXPECT_EQ(assign_regions(s), two);  // and a seed always gives the same
}

TEST(TestbedSchedule, TheDelayMatrixIsNearWithinARegionAndListedOrDefaultBetween) {
    Scenario s = base(4);
    s.one_way_delay_ms = 60;
    s.regions = {{.name = "a", .share = 1, .one_way_delay_ms = 5},
                 {.name = "b", .share = 1, .one_way_delay_ms = 8},
                 {.name = "c", .share = 1, .one_way_delay_ms = 9}};
    s.region_delays = {{.a = "b", .b = "a", .one_way_delay_ms = 35}};
    EXPECT_EQ(path_delay_ms(s, 0, 0), 5);
    EXPECT_EQ(path_delay_ms(s, 1, 1), 8);
    EXPECT_EQ(path_delay_ms(s, 0, 1), 35);  // listed, either way round
    EXPECT_EQ(path_delay_ms(s, 1, 0), 35);
    EXPECT_EQ(path_delay_ms(s, 0, 2), 60);  // not listed: the default
    s.regions.clear();
    s.region_delays.clear();
    EXPECT_EQ(path_delay_ms(s, 0, 0), 60);
}

TEST(TestbedSchedule, RngIsUniformEnough) {
    Rng rng(7);
    double sum = 0;
    for (int i = 0; i < 10'000; ++i) {
        const double u = rng.uniform();
        ASSERT_GE(u, 0);
        ASSERT_LT(u, 1);
        sum += u;
    }
    EXPECT_NEAR(sum / 10'000, 0.5, 0.02);
    double esum = 0;
    for (int i = 0; i < 10'000; ++i) {
        esum += rng.exponential(4);
    }
    EXPECT_NEAR(esum / 10'000, 0.25, 0.02);
}

}  // namespace
}  // namespace p2pls::experiments
