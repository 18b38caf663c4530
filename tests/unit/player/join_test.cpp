// What each tracker answer means while joining: go on, stop, or retry until the timeout.
#include <gtest/gtest.h>

#include "player/core/join.hpp"

namespace p2pls::player {
namespace {

using namespace std::chrono_literals;

TimePoint at(Duration d) {
    return TimePoint{} + d;
}

TEST(Join, SuccessJoins) {
    JoinAttempts j("live", "http://t", 10s, at(0s));
    const auto d = j.on_success();
    EXPECT_EQ(d.step, JoinStep::joined);
    EXPECT_EQ(j.attempts(), 1u);
}

TEST(Join, NotFoundIsUnknownChannelWithAClearMessage) {
    JoinAttempts j("nope", "http://t:8200", 10s, at(0s));
    const auto d = j.on_failure(404, "unknown_channel", "no channel \"nope\"", at(1s));
    EXPECT_EQ(d.step, JoinStep::unknown_channel);
    EXPECT_NE(d.message.find("has no channel 'nope'"), std::string::npos) << d.message;
}

TEST(Join, OtherClientErrorIsRejected) {
    JoinAttempts j("live", "http://t", 10s, at(0s));
    const auto d = j.on_failure(400, "bad_channel", "name too long", at(0s));
    EXPECT_EQ(d.step, JoinStep::rejected);
    EXPECT_NE(d.message.find("name too long"), std::string::npos);
}

TEST(Join, UnreachableRetriesWithBackoffThenGivesUpAtTheTimeout) {
    JoinAttempts j("live", "http://t", 5s, at(0s), 500ms, 2s);
    TimePoint now = at(0s);
    std::vector<Duration> waits;
    JoinDecision d;
    for (int i = 0; i < 20; ++i) {
        d = j.on_failure(0, "", "connection refused", now);
        if (d.step != JoinStep::retry) {
            break;
        }
        EXPECT_NE(d.message.find("retrying in"), std::string::npos);
        EXPECT_NE(d.message.find("connection refused"), std::string::npos);
        waits.push_back(d.retry_in);
        now += d.retry_in;
    }
    EXPECT_EQ(d.step, JoinStep::give_up);
    EXPECT_NE(d.message.find("giving up"), std::string::npos);
    EXPECT_NE(d.message.find("5.0 s"), std::string::npos) << d.message;
    // 0.5 + 1 + 2 = 3.5 s; the last wait is cut to end at 5 s, where the final try fails.
    EXPECT_EQ(waits, (std::vector<Duration>{500ms, 1s, 2s, 1500ms}));
    EXPECT_EQ(now, at(5s));
}

TEST(Join, ServerErrorsRetryToo) {
    JoinAttempts j("live", "http://t", 30s, at(0s));
    const auto d = j.on_failure(503, "busy", "full", at(0s));
    EXPECT_EQ(d.step, JoinStep::retry);
    EXPECT_NE(d.message.find("HTTP 503"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::player
