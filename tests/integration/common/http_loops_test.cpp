// The shared HTTP server on two event loops, each run by its own thread: the books are
// one set (per-client request slots, the connection cap and its evictions, stop()),
// whichever loop a connection was accepted on.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/http/http_server.hpp"
#include "common/net/event_loops.hpp"
#include "tests/support/raw_connection.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::RawConnection;

const std::string kGet = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kHold = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n";

class HttpLoopsTest : public ::testing::Test {
  protected:
    // A server on both loops whose /hold requests wait until release_ is set.
    void serve(http::ServerLimits limits) {
        server_.emplace(
            loops_.loops(), tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits,
            [this](http::Request& req,
                   const http::RequestContext& ctx) -> asio::awaitable<http::Response> {
                if (req.target() == "/hold") {
                    asio::steady_timer tick(*loops_.loops().at(ctx.loop));
                    while (!release_) {
                        tick.expires_after(5ms);
                        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
                    }
                }
                co_return http::make_response(req, http::Status::ok, "ok", "text/plain");
            });
        server_->start();
        runner_.emplace([this] { loops_.run(); });
    }
    ~HttpLoopsTest() override {
        release_ = true;
        loops_.stop();
        runner_.reset();  // joins the loops' threads before the server goes
        server_.reset();
    }

    [[nodiscard]] std::uint16_t port() const { return server_->local_endpoint().port(); }

    // Until `done` or 5 s.
    template <class Done>
    static bool eventually(Done done) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(2ms);
        }
        return true;
    }

    void expect_both_loops_admitted() const {
        const auto admitted = server_->admitted_per_loop();
        ASSERT_EQ(admitted.size(), 2u);
        EXPECT_GT(admitted[0], 0u) << "the home loop accepted nothing";
        EXPECT_GT(admitted[1], 0u) << "the second loop accepted nothing";
    }

    net::EventLoops loops_{2};
    std::optional<http::HttpServer> server_;
    std::optional<std::jthread> runner_;
    std::atomic<bool> release_ = false;
};

// Twelve connections of one address, each asking for a held request, over both loops: two
// slots in all, not two per loop.
TEST_F(HttpLoopsTest, PerClientRequestSlotsAreOneSetForAllLoops) {
    serve({.max_requests_per_client = 2});
    std::vector<std::unique_ptr<RawConnection>> clients;
    for (int i = 0; i < 12; ++i) {
        clients.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(clients.back()->connected());
        ASSERT_TRUE(clients.back()->send(kHold));
    }
    int refused = 0;
    for (auto& c : clients) {
        const std::string answer = c->read_some(200ms);
        refused += answer.starts_with("HTTP/1.1 503") ? 1 : 0;
        EXPECT_TRUE(answer.empty() || answer.starts_with("HTTP/1.1 503")) << answer;
    }
    EXPECT_EQ(refused, 10);
    EXPECT_EQ(server_->active_requests(), 2u);
    release_ = true;
    EXPECT_TRUE(eventually([&] { return server_->active_requests() == 0; }));
    expect_both_loops_admitted();
}

// At the connection cap, each newcomer evicts the connection idle the longest, which may
// be on the other loop: it is closed there, and the newcomer is served.
TEST_F(HttpLoopsTest, EvictionsReachConnectionsOnTheOtherLoop) {
    serve({.max_connections = 4});
    std::vector<std::unique_ptr<RawConnection>> open;
    const auto served = [](RawConnection& c) {
        return c.send(kGet) && c.read_some(2s, 10).starts_with("HTTP/1.1 200");
    };
    for (int i = 0; i < 16; ++i) {
        open.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(open.back()->connected());
        ASSERT_TRUE(served(*open.back())) << "connection " << i;
    }
    // The twelve oldest were evicted, in order; each sees its end of stream.
    for (int i = 0; i < 12; ++i) {
        EXPECT_EQ(open[i]->read_some(2s), "") << "connection " << i << " still open";
    }
    EXPECT_EQ(server_->evicted_connections(), 12u);
    EXPECT_TRUE(eventually([&] { return server_->open_connections() == 4; }))
        << server_->open_connections();
    expect_both_loops_admitted();
}

// stop(), called from the home loop's thread, closes the idle connections of both loops.
TEST_F(HttpLoopsTest, StopClosesConnectionsOnEveryLoop) {
    serve({});
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 8; ++i) {
        open.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(open.back()->send(kGet));
        ASSERT_TRUE(open.back()->read_some(2s, 10).starts_with("HTTP/1.1 200"));
    }
    expect_both_loops_admitted();
    asio::post(loops_.home(), [this] { server_->stop(); });
    for (auto& c : open) {
        EXPECT_EQ(c->read_some(2s), "");
    }
}

}  // namespace
}  // namespace p2pls
