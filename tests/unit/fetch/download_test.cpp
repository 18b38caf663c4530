#include "fetch/core/download.hpp"

#include <gtest/gtest.h>

#include <string>

#include "portal/core/slicer.hpp"

namespace p2pls::fetch {
namespace {

using namespace std::chrono_literals;

// Three slices of "abc..." bytes, each on the near server first and the far one second.
struct Fixture {
    std::vector<std::string> bytes{std::string(4, 'a'), std::string(4, 'b'), std::string(2, 'c')};
    portal::Manifest manifest() const {
        portal::Manifest m;
        m.name = "f.bin";
        m.slice_bytes = 4;
        std::uint64_t offset = 0;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            portal::ManifestSlice s;
            s.index = i;
            s.offset = offset;
            s.size = bytes[i].size();
            s.sha256 = portal::sha256_hex(bytes[i]);
            s.urls = {"http://near:1/o" + std::to_string(i) + "?token=t",
                      "http://far:2/o" + std::to_string(i) + "?token=t"};
            offset += s.size;
            m.slices.push_back(std::move(s));
        }
        m.size = offset;
        return m;
    }
};

DownloadOptions with(std::size_t parallel, std::size_t rounds = 3) {
    DownloadOptions o;
    o.parallel = parallel;
    o.rounds = rounds;
    return o;
}

TEST(Download, SlicesGoToTheBestServerAtMostParallelAtATime) {
    Fixture f;
    Download d(f.manifest(), with(2));
    const auto a = d.next();
    const auto b = d.next();
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(d.next()) << "a third while two are in flight";
    EXPECT_EQ(a->slice, 0u);
    EXPECT_EQ(b->slice, 1u);
    EXPECT_EQ(server_of(d.url(*a)), "near:1");
    EXPECT_EQ(a->delay, 0ms);
    EXPECT_TRUE(d.deliver(*a, f.bytes[0]));
    const auto c = d.next();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->slice, 2u);
    EXPECT_TRUE(d.deliver(*b, f.bytes[1]));
    EXPECT_FALSE(d.complete());
    EXPECT_TRUE(d.deliver(*c, f.bytes[2]));
    EXPECT_TRUE(d.complete());
    EXPECT_FALSE(d.next());
    EXPECT_EQ(d.bytes_done(), 10u);
    EXPECT_EQ(d.bytes_by_server().at("near:1"), 10u);
    EXPECT_EQ(d.fallbacks(), 0u);
}

TEST(Download, WrongBytesBarThatServerForTheSliceAndTheNextOneIsAsked) {
    Fixture f;
    Download d(f.manifest(), with(1));
    auto a = d.next();
    ASSERT_TRUE(a);
    // Same size, other bytes; then a body of the wrong length.
    EXPECT_FALSE(d.deliver(*a, std::string(4, 'z')));
    a = d.next();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->slice, 0u);
    EXPECT_EQ(server_of(d.url(*a)), "far:2");
    EXPECT_FALSE(d.deliver(*a, "aaa"));
    // Both servers lied about slice 0: nothing is left to try, and the download is lost.
    EXPECT_TRUE(d.lost());
    EXPECT_NE(d.why_lost().find("slice 0"), std::string::npos);
    EXPECT_FALSE(d.next());
    EXPECT_EQ(d.bytes_done(), 0u);
}

TEST(Download, AServerThatIsDownGoesLastForEverySliceUntilItAnswersAgain) {
    Fixture f;
    Download d(f.manifest(), with(1));
    auto a = d.next();
    d.fail(*a, Failure::transport);
    // Slice 0 again: the far server, at once (it has not been tried for this slice).
    a = d.next();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->slice, 0u);
    EXPECT_EQ(server_of(d.url(*a)), "far:2");
    EXPECT_EQ(a->delay, 0ms);
    EXPECT_TRUE(d.deliver(*a, f.bytes[0]));
    // Slice 1, never tried: near is down, so far first.
    a = d.next();
    EXPECT_EQ(server_of(d.url(*a)), "far:2");
    d.fail(*a, Failure::busy);
    // A busy server is up: it is asked again after a pause, before the one that is down,
    // until its tries for the slice are used up.
    for (int i = 0; i < 2; ++i) {
        a = d.next();
        EXPECT_EQ(server_of(d.url(*a)), "far:2");
        EXPECT_GT(a->delay, 0ms);
        d.fail(*a, Failure::busy);
    }
    a = d.next();
    EXPECT_EQ(server_of(d.url(*a)), "near:1");
    EXPECT_TRUE(d.deliver(*a, f.bytes[1]));  // near is back
    a = d.next();
    EXPECT_EQ(a->slice, 2u);
    EXPECT_EQ(server_of(d.url(*a)), "near:1");
    EXPECT_EQ(d.fallbacks(), 4u);
}

TEST(Download, TransientFailuresAreRetriedWithGrowingPausesUpToTheRounds) {
    Fixture f;
    Download d(f.manifest(), with(1, 2));
    std::vector<std::chrono::milliseconds> pauses;
    for (int i = 0; i < 4; ++i) {
        const auto a = d.next();
        ASSERT_TRUE(a) << i;
        EXPECT_EQ(a->slice, 0u);
        pauses.push_back(a->delay);
        d.fail(*a, Failure::busy);
    }
    // near, far, then each again after a pause; then no try is left.
    EXPECT_EQ(pauses[0], 0ms);
    EXPECT_EQ(pauses[1], 0ms);
    EXPECT_GT(pauses[2], 0ms);
    EXPECT_TRUE(d.lost());
}

TEST(Download, ARefusalIsNotRetriedButTheOtherServerIs) {
    Fixture f;
    Download d(f.manifest(), with(1, 5));
    auto a = d.next();
    d.fail(*a, Failure::refused);  // near: 403
    a = d.next();
    EXPECT_EQ(server_of(d.url(*a)), "far:2");
    d.fail(*a, Failure::busy);
    for (int i = 0; i < 4; ++i) {
        a = d.next();
        ASSERT_TRUE(a);
        EXPECT_EQ(server_of(d.url(*a)), "far:2") << "near refused slice 0";
        d.fail(*a, Failure::busy);
    }
    EXPECT_TRUE(d.lost());
}

TEST(Download, ResumedSlicesAreNotFetchedAgain) {
    Fixture f;
    Download d(f.manifest(), with(4));
    d.already_have(0);
    d.already_have(2);
    d.already_have(2);  // twice counts once
    EXPECT_EQ(d.bytes_resumed(), 6u);
    const auto a = d.next();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->slice, 1u);
    EXPECT_FALSE(d.next());
    EXPECT_TRUE(d.deliver(*a, f.bytes[1]));
    EXPECT_TRUE(d.complete());
    EXPECT_EQ(d.bytes_done(), 10u);
}

TEST(Download, AnAnswerForASliceNotInFlightIsAProgrammingError) {
    Fixture f;
    Download d(f.manifest(), with(1));
    const auto a = d.next();
    EXPECT_TRUE(d.deliver(*a, f.bytes[0]));
    EXPECT_THROW(d.fail(*a, Failure::busy), std::logic_error);
}

TEST(Download, AnEmptyFileIsCompleteAtOnce) {
    portal::Manifest m;
    m.name = "empty";
    m.slice_bytes = 4;
    Download d(m, with(2));
    EXPECT_TRUE(d.complete());
    EXPECT_FALSE(d.next());
}

TEST(ServerOf, IsTheAuthorityOfTheUrl) {
    EXPECT_EQ(server_of("http://127.0.2.1:8300/v1/lockers/p/objects/x?token=y"), "127.0.2.1:8300");
    EXPECT_EQ(server_of("https://user:pw@host/x"), "host");
    EXPECT_EQ(server_of("http://[::1]:80?x"), "[::1]:80");
}

}  // namespace
}  // namespace p2pls::fetch
