// The HTTP output's fan-out policy: chunk-boundary starts, bounded queues, slow clients
// dropped without touching the others.
#include <gtest/gtest.h>

#include "player/core/fanout.hpp"

namespace p2pls::player {
namespace {

Payload chunk(char tag, std::size_t size = 100) {
    return std::make_shared<const std::string>(size, tag);
}

// Writes out everything queued for `id`; returns the tags in order.
std::string drain(Fanout& f, ClientId id) {
    std::string tags;
    while (auto p = f.front(id)) {
        tags += p->front();
        f.pop(id);
    }
    return tags;
}

TEST(Fanout, ClientBeforeAnyChunkStartsAtTheNextOne) {
    Fanout f;
    const auto id = f.add_client();
    ASSERT_TRUE(id);
    EXPECT_EQ(f.front(*id), nullptr);
    f.on_chunk(chunk('a'));
    f.on_chunk(chunk('b'));
    EXPECT_EQ(drain(f, *id), "ab");
}

TEST(Fanout, LateClientStartsAtTheNewestChunkBoundary) {
    Fanout f;
    f.on_chunk(chunk('a'));
    f.on_chunk(chunk('b'));
    const auto id = f.add_client();
    ASSERT_TRUE(id);
    f.on_chunk(chunk('c'));
    // Whole chunks only: 'b' from its first byte (a key frame), then live.
    EXPECT_EQ(drain(f, *id), "bc");
}

TEST(Fanout, SlowClientIsDroppedOthersKeepEverything) {
    Fanout f({.max_clients = 4, .max_queued_chunks = 3, .max_queued_bytes = 1 << 20});
    const auto fast = *f.add_client();
    const auto slow = *f.add_client();
    std::string got;
    for (char t = 'a'; t <= 'h'; ++t) {
        f.on_chunk(chunk(t));
        got += drain(f, fast);  // the fast client writes everything at once
    }
    EXPECT_EQ(got, "abcdefgh");
    EXPECT_FALSE(f.contains(slow));
    EXPECT_EQ(f.take_dropped(), std::vector<ClientId>{slow});
    EXPECT_TRUE(f.take_dropped().empty());
    EXPECT_EQ(f.dropped_total(), 1u);
    EXPECT_EQ(f.clients(), 1u);
}

TEST(Fanout, ByteBoundDropsBeforeTheChunkCount) {
    Fanout f({.max_clients = 4, .max_queued_chunks = 100, .max_queued_bytes = 250});
    const auto id = *f.add_client();
    f.on_chunk(chunk('a'));
    f.on_chunk(chunk('b'));
    EXPECT_TRUE(f.contains(id));
    EXPECT_EQ(f.queued_bytes(id), 200u);
    f.on_chunk(chunk('c'));
    EXPECT_FALSE(f.contains(id));
}

TEST(Fanout, InFlightChunkCountsUntilPopped) {
    Fanout f({.max_clients = 4, .max_queued_chunks = 2, .max_queued_bytes = 1 << 20});
    const auto id = *f.add_client();
    f.on_chunk(chunk('a'));
    ASSERT_NE(f.front(id), nullptr);  // being written
    f.on_chunk(chunk('b'));
    EXPECT_EQ(f.queued_chunks(id), 2u);
    f.pop(id);
    f.on_chunk(chunk('c'));
    EXPECT_TRUE(f.contains(id));
    EXPECT_EQ(drain(f, id), "bc");
}

TEST(Fanout, ClientCapRefusesAndRemoveFreesASlot) {
    Fanout f({.max_clients = 2, .max_queued_chunks = 4, .max_queued_bytes = 1 << 20});
    const auto a = f.add_client();
    const auto b = f.add_client();
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_FALSE(f.add_client());
    EXPECT_EQ(f.refused_total(), 1u);
    f.remove_client(*a);
    f.remove_client(*a);  // twice: ignored
    EXPECT_TRUE(f.add_client());
}

TEST(Fanout, UnknownIdsAndEmptyChunksAreHarmless) {
    Fanout f;
    f.pop(42);
    EXPECT_EQ(f.front(42), nullptr);
    EXPECT_EQ(f.queued_bytes(42), 0u);
    const auto id = *f.add_client();
    f.on_chunk(nullptr);
    f.on_chunk(chunk('x', 0));
    EXPECT_EQ(f.front(id), nullptr);
}

}  // namespace
}  // namespace p2pls::player
