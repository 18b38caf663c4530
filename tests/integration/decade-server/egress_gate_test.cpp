// The egress cap's Asio side on a real io_context: a response waiting for its turn that
// is cancelled (its client hung up) gives its turn back, and the bytes it would have
// sent go to the next in line.
#include "decade-server/http/egress_gate.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace p2pls::decade_server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(EgressGate, AWaiterCancelledBeforeItsTurnGivesItBack) {
    asio::io_context io;
    // 64 KiB/s with a 64 KiB burst. A grant may put the bucket in debt: the first 192 KiB
    // go at once, and the next grant waits about 2 s for the debt to be repaid.
    EgressGate gate(io, 64 * 1024);
    bool first = false, third = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await gate.acquire("a", 1, 192 * 1024);
            first = true;
        },
        asio::detached);
    io.run_for(20ms);
    ASSERT_TRUE(first);
    io.restart();
    // The second waits for its turn; a 100 ms "hang-up" cancels it.
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            asio::steady_timer hang_up(io, 100ms);
            try {
                co_await (gate.acquire("b", 1, 64 * 1024) ||
                          hang_up.async_wait(asio::use_awaitable));
            } catch (const boost::system::system_error&) {
                // Whether || rethrows the cancelled branch's operation_aborted is Asio's
                // business; what matters is the turn, checked below.
            }
        },
        asio::detached);
    io.run_for(200ms);
    EXPECT_EQ(gate.stats().waiting, 0u) << "the cancelled turn was withdrawn";
    io.restart();  // it ran out of work
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await gate.acquire("c", 1, 1024);
            third = true;
        },
        asio::detached);
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!third && std::chrono::steady_clock::now() < until) {
        io.run_for(10ms);
    }
    EXPECT_TRUE(third);
    const auto granted = gate.stats().granted_bytes;
    EXPECT_FALSE(granted.contains("b")) << "no bytes were granted to the abandoned answer";
}

}  // namespace
}  // namespace p2pls::decade_server
