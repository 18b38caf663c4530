// The shared HTTP server (Beast) and client (libcurl) against each other on loopback.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>

#include "common/curl/http_client.hpp"
#include "common/http/http_server.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

class HttpTest : public ::testing::Test {
  protected:
    // Starts a server on 127.0.0.1:0 with `handler`.
    void serve(http::ServerLimits limits, http::Handler handler) {
        server_.emplace(io_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits,
                        std::move(handler));
        server_->start();
    }

    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port()) +
               std::string(path);
    }

    // Runs the io_context until `done` or a 10 s safety deadline (a hang fails the test).
    void run_until(const bool& done) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!done && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
        }
        ASSERT_TRUE(done) << "timed out";
    }

    static http::Handler echo_handler() {
        return [](http::Request& req,
                  const http::RequestContext& ctx) -> asio::awaitable<http::Response> {
            auto res = http::make_json_response(
                req, http::Status::ok, "{\"port\":" + std::to_string(ctx.remote.port()) + "}");
            res.set("X-Echo", std::string(req.target()));
            co_return res;
        };
    }

    asio::io_context io_;
    std::optional<http::HttpServer> server_;
};

TEST_F(HttpTest, GetRoundTripWithHeadersAndKeepAlive) {
    serve({}, echo_handler());
    curl::HttpClient client(io_);
    std::vector<std::string> bodies;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 2; ++i) {
                // A named request: g++ 12 mishandles aggregate temporaries inside co_await.
                curl::HttpRequest request{.url = url("/v1/things?x=1")};
                auto res = co_await client.request(std::move(request));
                EXPECT_TRUE(res.has_value());
                if (res) {
                    EXPECT_EQ(res->status, 200);
                    EXPECT_EQ(res->header("x-echo").value_or(""), "/v1/things?x=1");
                    EXPECT_EQ(res->header("Content-Type").value_or(""), "application/json");
                    bodies.push_back(res->body);
                }
            }
            done = true;
        },
        asio::detached);
    run_until(done);
    ASSERT_EQ(bodies.size(), 2u);
    // Same client port twice: the connection was kept alive and reused.
    EXPECT_EQ(bodies[0], bodies[1]);
    EXPECT_EQ(client.in_flight(), 0u);
}

TEST_F(HttpTest, SharedBodyArrivesByteIdenticalOverKeepAlive) {
    std::string bytes(1 << 20, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>(i * 131 % 256);
    }
    auto stored = std::make_shared<const std::string>(bytes);
    serve({},
          [&stored](http::Request& req,
                    const http::RequestContext&) -> asio::awaitable<http::Response> {
              // The second answer holds the only reference: the response must keep it alive.
              auto share = req.target() == "/last" ? std::move(stored) : stored;
              co_return http::make_shared_response(req, http::Status::ok, std::move(share),
                                                   "application/octet-stream");
          });
    curl::HttpClient client(io_);
    std::vector<curl::HttpResponse> got;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            for (const char* path : {"/first", "/last"}) {
                curl::HttpRequest request{.url = url(path)};
                auto res = co_await client.request(std::move(request));
                EXPECT_TRUE(res.has_value());
                if (res) {
                    got.push_back(std::move(*res));
                }
            }
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_EQ(stored, nullptr);
    ASSERT_EQ(got.size(), 2u);
    for (const auto& res : got) {
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.header("Content-Length").value_or(""), std::to_string(bytes.size()));
        EXPECT_TRUE(res.body == bytes) << res.body.size() << " bytes";
    }
    EXPECT_EQ(server_->open_connections(), 1u);  // both over one kept-alive connection
}

TEST_F(HttpTest, OversizeBodyGets413WithJsonError) {
    serve({.max_body_bytes = 1024}, echo_handler());
    curl::HttpClient client(io_);
    std::optional<Result<curl::HttpResponse>> got;
    bool done = false;
    client.async_request({.method = "POST", .url = url("/x"), .body = std::string(4096, 'b')},
                         [&](Result<curl::HttpResponse> r) {
                             got = std::move(r);
                             done = true;
                         });
    run_until(done);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->status, 413);
    EXPECT_NE((*got)->body.find("\"error\":\"body_too_large\""), std::string::npos);
}

// One request over a raw connection: the whole response (the server's Content-Length),
// or what came before the connection ended.
asio::awaitable<std::string> raw_exchange(tcp::socket& socket, std::string target) {
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(request), asio::as_tuple(asio::use_awaitable));
    std::string reply;
    char buf[4096];
    for (;;) {
        const auto head_end = reply.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            const auto cl = reply.find("Content-Length: ");
            const std::size_t length =
                cl == std::string::npos ? 0 : std::stoul(reply.substr(cl + 16));
            if (reply.size() >= head_end + 4 + length) {
                co_return reply;
            }
        }
        auto [ec, n] =
            co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            co_return reply;
        }
        reply.append(buf, n);
    }
}

// A handler whose "/hold" requests wait until `release` is set (polled every 5 ms).
http::Handler holding_handler(asio::io_context& io, const bool& release) {
    return [&io, &release](http::Request& req,
                           const http::RequestContext&) -> asio::awaitable<http::Response> {
        while (req.target() == "/hold" && !release) {
            asio::steady_timer timer(io, 5ms);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        co_return http::make_json_response(req, http::Status::ok, "{}");
    };
}

// The draft's m slots limit concurrent transfers: a client that keeps m keep-alive
// connections open and idle (a source and a peer on one address, say) leaves the slots
// free for a second client on the same address.
TEST_F(HttpTest, IdleKeepAliveConnectionsHoldNoSlot) {
    serve({.max_requests_per_client = 2}, echo_handler());
    tcp::socket a(io_), b(io_), fresh(io_);
    a.connect(server_->local_endpoint());
    b.connect(server_->local_endpoint());
    fresh.connect(server_->local_endpoint());  // open, nothing sent yet
    std::string ra, rb;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            ra = co_await raw_exchange(a, "/first");
            rb = co_await raw_exchange(b, "/first");
            done = true;
        },
        asio::detached);
    run_until(done);
    ASSERT_TRUE(ra.starts_with("HTTP/1.1 200")) << ra;
    ASSERT_TRUE(rb.starts_with("HTTP/1.1 200")) << rb;
    ASSERT_EQ(server_->open_connections(), 3u);  // a and b idle, kept alive

    curl::HttpClient client(io_);
    int ok = 0;
    done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) {
                curl::HttpRequest request{.url = url("/second-client")};
                auto res = co_await client.request(std::move(request));
                ok += (res && res->status == 200) ? 1 : 0;
            }
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_EQ(ok, 3);
    EXPECT_EQ(server_->refused_connections(), 0u);
    // And the idle connections still work.
    done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            ra = co_await raw_exchange(a, "/again");
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(ra.starts_with("HTTP/1.1 200")) << ra;
}

// Requests in progress are what the cap counts: the (m+1)-th at once gets 503 with
// Retry-After, and a slot is free again as soon as a response is written.
TEST_F(HttpTest, RequestOverPerClientCapGets503AtOnce) {
    bool release = false;
    serve({.max_requests_per_client = 2, .busy_retry_after_s = 3}, holding_handler(io_, release));
    tcp::socket a(io_), b(io_), c(io_);
    for (auto* s : {&a, &b, &c}) {
        s->connect(server_->local_endpoint());
    }
    std::string ra, rb, rc;
    int finished = 0;
    for (auto [socket, reply] : {std::pair{&a, &ra}, std::pair{&b, &rb}}) {
        asio::co_spawn(
            io_,
            [&, socket, reply]() -> asio::awaitable<void> {
                *reply = co_await raw_exchange(*socket, "/hold");
                ++finished;
            },
            asio::detached);
    }
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server_->active_requests() < 2 && std::chrono::steady_clock::now() < deadline) {
        io_.run_for(5ms);
    }
    ASSERT_EQ(server_->active_requests(), 2u);
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            rc = co_await raw_exchange(c, "/third");
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(rc.starts_with("HTTP/1.1 503")) << rc;
    EXPECT_NE(rc.find("Retry-After: 3"), std::string::npos) << rc;
    EXPECT_NE(rc.find("\"error\":\"busy\""), std::string::npos) << rc;
    EXPECT_EQ(server_->refused_connections(), 1u);
    EXPECT_EQ(finished, 0);  // the held requests are unharmed

    release = true;
    const bool both = [&] {
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (finished < 2 && std::chrono::steady_clock::now() < until) {
            io_.run_for(5ms);
        }
        return finished == 2;
    }();
    ASSERT_TRUE(both);
    EXPECT_TRUE(ra.starts_with("HTTP/1.1 200")) << ra;
    EXPECT_EQ(server_->active_requests(), 0u);
    curl::HttpClient client(io_);
    std::optional<Result<curl::HttpResponse>> got;
    done = false;
    client.async_request({.url = url("/x")}, [&](Result<curl::HttpResponse> r) {
        got = std::move(r);
        done = true;
    });
    run_until(done);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->status, 200);
}

// A full server makes room by closing the connection idle the longest; only when no
// connection is idle is a newcomer refused.
TEST_F(HttpTest, FullServerClosesTheOldestIdleConnectionFirst) {
    bool release = false;
    serve({.max_connections = 2, .busy_retry_after_s = 2}, holding_handler(io_, release));
    tcp::socket oldest(io_), newer(io_);
    oldest.connect(server_->local_endpoint());
    newer.connect(server_->local_endpoint());
    std::string r1, r2;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            r1 = co_await raw_exchange(oldest, "/a");
            r2 = co_await raw_exchange(newer, "/b");
            done = true;
        },
        asio::detached);
    run_until(done);
    ASSERT_TRUE(r1.starts_with("HTTP/1.1 200")) << r1;
    ASSERT_TRUE(r2.starts_with("HTTP/1.1 200")) << r2;

    // A third client: the oldest idle connection goes, the newcomer is served.
    tcp::socket third(io_);
    third.connect(server_->local_endpoint());
    std::string r3;
    done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            r3 = co_await raw_exchange(third, "/c");
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(r3.starts_with("HTTP/1.1 200")) << r3;
    EXPECT_EQ(server_->evicted_connections(), 1u);
    EXPECT_EQ(server_->refused_connections(), 0u);
    bool closed = false;
    boost::system::error_code read_ec;
    char byte = 0;
    oldest.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
        read_ec = ec;
        closed = true;
    });
    run_until(closed);
    EXPECT_EQ(read_ec, asio::error::eof);  // the oldest was closed, not the newer one

    // Both connections busy now (held requests): nothing idle to close, so a fourth
    // connection is refused with 503 at once.
    std::string held_newer, held_third;
    asio::co_spawn(
        io_, [&]() -> asio::awaitable<void> { held_newer = co_await raw_exchange(newer, "/hold"); },
        asio::detached);
    asio::co_spawn(
        io_, [&]() -> asio::awaitable<void> { held_third = co_await raw_exchange(third, "/hold"); },
        asio::detached);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server_->active_requests() < 2 && std::chrono::steady_clock::now() < deadline) {
        io_.run_for(5ms);
    }
    ASSERT_EQ(server_->active_requests(), 2u);
    tcp::socket fourth(io_);
    fourth.connect(server_->local_endpoint());
    std::string r4;
    done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            r4 = co_await raw_exchange(fourth, "/d");
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(r4.starts_with("HTTP/1.1 503")) << r4;
    EXPECT_NE(r4.find("Retry-After: 2"), std::string::npos) << r4;
    release = true;
    while ((held_newer.empty() || held_third.empty()) &&
           std::chrono::steady_clock::now() < deadline + 5s) {
        io_.run_for(5ms);
    }
    EXPECT_TRUE(held_newer.starts_with("HTTP/1.1 200")) << held_newer;
    EXPECT_TRUE(held_third.starts_with("HTTP/1.1 200")) << held_third;
}

TEST_F(HttpTest, SilentClientIsDisconnectedAfterRequestTimeout) {
    serve({.request_timeout = 200ms}, echo_handler());
    tcp::socket silent(io_);
    silent.connect(server_->local_endpoint());
    bool done = false;
    boost::system::error_code read_ec;
    char byte = 0;
    asio::async_read(silent, asio::buffer(&byte, 1),
                     [&](boost::system::error_code ec, std::size_t) {
                         read_ec = ec;
                         done = true;
                     });
    run_until(done);
    EXPECT_EQ(read_ec, asio::error::eof);
    while (server_->open_connections() != 0) {
        io_.run_for(5ms);
    }
}

TEST_F(HttpTest, MalformedRequestLineGets400) {
    serve({}, echo_handler());
    tcp::socket raw(io_);
    raw.connect(server_->local_endpoint());
    std::string reply;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            co_await asio::async_write(raw, asio::buffer(std::string("GARBAGE\x01\x02 /\r\n\r\n")),
                                       asio::use_awaitable);
            char buf[1024];
            for (;;) {
                auto [ec, n] = co_await raw.async_read_some(asio::buffer(buf),
                                                            asio::as_tuple(asio::use_awaitable));
                if (ec) {
                    break;
                }
                reply.append(buf, n);
            }
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply;
    EXPECT_NE(reply.find("bad_http"), std::string::npos);
}

TEST_F(HttpTest, ClientReportsUnreachableServer) {
    // Bind a port, then close it: nobody listens there.
    tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    curl::HttpClient client(io_);
    std::optional<Result<curl::HttpResponse>> got;
    bool done = false;
    client.async_request({.url = "http://127.0.0.1:" + std::to_string(port) + "/"},
                         [&](Result<curl::HttpResponse> r) {
                             got = std::move(r);
                             done = true;
                         });
    run_until(done);
    ASSERT_FALSE(got->has_value());
    EXPECT_EQ(got->error(), make_error_code(Errc::unavailable));
}

// The testbed's delay on every path: a client with link delays waits the one-way delay
// towards the server's address before sending and again before delivering the answer,
// so a GET across regions takes the configured round trip and one within a region less.
TEST_F(HttpTest, LinkDelaysMakeAGetAcrossRegionsTakeTheirRoundTrip) {
    std::vector<std::optional<http::HttpServer>> servers(2);
    const char* hosts[] = {"127.16.0.1", "127.17.0.1"};
    for (std::size_t i = 0; i < 2; ++i) {
        servers[i].emplace(io_, tcp::endpoint{asio::ip::make_address(hosts[i]), 0},
                           http::ServerLimits{}, echo_handler());
        servers[i]->start();
    }
    std::string why;
    curl::ClientOptions options;
    options.link_delays.set_default(std::chrono::milliseconds(1));
    options.link_delays.add(*parse_link_delay_rule("127.16.0.0/16=5", why));
    options.link_delays.add(*parse_link_delay_rule("127.17.0.0/16=150", why));
    curl::HttpClient client(io_, options);
    std::chrono::steady_clock::duration took[2]{};
    for (std::size_t i = 0; i < 2; ++i) {
        const auto start = std::chrono::steady_clock::now();
        bool done = false;
        client.async_request({.url = "http://" + std::string(hosts[i]) + ":" +
                                     std::to_string(servers[i]->local_endpoint().port()) + "/"},
                             [&](Result<curl::HttpResponse> r) {
                                 EXPECT_TRUE(r && r->status == 200);
                                 done = true;
                             });
        run_until(done);
        took[i] = std::chrono::steady_clock::now() - start;
    }
    EXPECT_GE(took[0], 10ms);   // 2 x 5 ms within the region
    EXPECT_GE(took[1], 300ms);  // 2 x 150 ms across
    EXPECT_LT(took[0], took[1]);

    // A request still held back when the caller cancels is never sent.
    bool aborted = false;
    client.async_request(
        {.url = "http://127.17.0.1:" + std::to_string(servers[1]->local_endpoint().port()) + "/"},
        [&](Result<curl::HttpResponse> r) {
            aborted = !r && r.error() == asio::error::operation_aborted;
        });
    client.cancel_all();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (client.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
        io_.run_for(10ms);
    }
    EXPECT_TRUE(aborted);
}

TEST_F(HttpTest, ClientTimesOutOnSlowHandler) {
    serve(
        {},
        [this](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
            asio::steady_timer timer(io_, 2s);
            co_await timer.async_wait(asio::use_awaitable);
            co_return http::make_json_response(req, http::Status::ok, "{}");
        });
    curl::HttpClient client(io_);
    std::optional<Result<curl::HttpResponse>> got;
    bool done = false;
    client.async_request({.url = url("/slow"), .timeout = 200ms},
                         [&](Result<curl::HttpResponse> r) {
                             got = std::move(r);
                             done = true;
                         });
    run_until(done);
    ASSERT_FALSE(got->has_value());
    EXPECT_EQ(got->error(), make_error_code(Errc::timeout));
}

// With cancel_on_hang_up, a client that gives up frees its slot at once and its handler is
// cancelled where it waits: the next request from the same address, at a cap of one, is
// served instead of refused. Without it, the slot stays held until the handler ends.
TEST_F(HttpTest, AClientThatHangsUpFreesItsSlotAndCancelsItsHandler) {
    int cancelled = 0, slow_ended = 0;
    for (const bool cancel : {true, false}) {
        SCOPED_TRACE(cancel ? "cancel_on_hang_up" : "default");
        cancelled = slow_ended = 0;
        io_.restart();  // the first round may have run out of work, which stops io_
        serve({.max_requests_per_client = 1, .cancel_on_hang_up = cancel},
              [this, &cancelled, &slow_ended](http::Request& req, const http::RequestContext&)
                  -> asio::awaitable<http::Response> {
                  if (req.target() == "/slow") {
                      asio::steady_timer timer(io_, 1s);
                      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
                      cancelled += ec == asio::error::operation_aborted ? 1 : 0;
                      ++slow_ended;
                  }
                  co_return http::make_json_response(req, http::Status::ok, "{}");
              });
        curl::HttpClient client(io_);
        std::optional<Result<curl::HttpResponse>> slow, next;
        bool done = false;
        client.async_request({.url = url("/slow"), .timeout = 200ms},
                             [&](Result<curl::HttpResponse> r) {
                                 slow = std::move(r);
                                 done = true;
                             });
        run_until(done);
        ASSERT_FALSE(slow->has_value());  // timed out: curl closed the connection
        io_.run_for(50ms);                // the server sees the close
        done = false;
        client.async_request({.url = url("/next")}, [&](Result<curl::HttpResponse> r) {
            next = std::move(r);
            done = true;
        });
        run_until(done);
        ASSERT_TRUE(next->has_value());
        if (cancel) {
            EXPECT_EQ((*next)->status, 200);
            EXPECT_EQ(cancelled, 1);
            EXPECT_EQ(server_->hung_up_requests(), 1u);
        } else {
            EXPECT_EQ((*next)->status, 503) << "the slot is still held by the abandoned request";
            EXPECT_EQ(server_->hung_up_requests(), 0u);
        }
        // The abandoned handler ends either way (cancelled, or after its second).
        const auto until = std::chrono::steady_clock::now() + 3s;
        while (slow_ended == 0 && std::chrono::steady_clock::now() < until) {
            io_.run_for(10ms);
        }
        EXPECT_EQ(slow_ended, 1);
        server_->stop();
        io_.run_for(20ms);
        server_.reset();
    }
}

TEST_F(HttpTest, ClientRefusesResponseOverItsCap) {
    serve({},
          [](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
              co_return http::make_response(req, http::Status::ok, std::string(100'000, 'z'),
                                            "application/octet-stream");
          });
    curl::HttpClient client(io_);
    std::optional<Result<curl::HttpResponse>> got;
    bool done = false;
    client.async_request({.url = url("/big"), .max_response_bytes = 10'000},
                         [&](Result<curl::HttpResponse> r) {
                             got = std::move(r);
                             done = true;
                         });
    run_until(done);
    ASSERT_FALSE(got->has_value());
    EXPECT_EQ(got->error(), make_error_code(Errc::body_too_large));
}

TEST_F(HttpTest, ClientKeepsToItsConnectionSlots) {
    std::size_t peak = 0;
    serve({},
          [&](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
              peak = std::max(peak, server_->open_connections());
              asio::steady_timer timer(io_, 50ms);
              co_await timer.async_wait(asio::use_awaitable);
              co_return http::make_json_response(req, http::Status::ok, "{}");
          });
    curl::HttpClient client(io_, {.max_connections_per_host = 2});
    int ok = 0;
    for (int i = 0; i < 8; ++i) {
        client.async_request({.url = url("/slot")}, [&](Result<curl::HttpResponse> r) {
            ok += (r && r->status == 200) ? 1 : 0;
        });
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (client.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
        io_.run_for(10ms);
    }
    EXPECT_EQ(ok, 8);
    EXPECT_GE(peak, 1u);
    EXPECT_LE(peak, 2u);
}

TEST_F(HttpTest, DestroyingClientWithTransfersInFlightIsClean) {
    serve(
        {},
        [this](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
            asio::steady_timer timer(io_, 300ms);
            co_await timer.async_wait(asio::use_awaitable);
            co_return http::make_json_response(req, http::Status::ok, "{}");
        });
    int called = 0;
    {
        curl::HttpClient client(io_);
        for (int i = 0; i < 4; ++i) {
            client.async_request({.url = url("/x")}, [&](Result<curl::HttpResponse>) { ++called; });
        }
        io_.run_for(50ms);
    }
    io_.run_for(500ms);
    EXPECT_EQ(called, 0);
}

// A client that sends its headers a byte at a time keeps its connections busy, where
// eviction cannot reach them. The cap per address keeps one such client from taking every
// connection: a second address is still answered.
TEST_F(HttpTest, OneAddressCannotHoldEveryConnection) {
    serve({.max_connections = 8, .max_connections_per_client = 3}, echo_handler());
    std::vector<std::unique_ptr<tcp::socket>> attacker;
    for (int i = 0; i < 12; ++i) {
        auto s = std::make_unique<tcp::socket>(io_);
        s->connect(server_->local_endpoint());
        asio::write(*s, asio::buffer(std::string("GET /slow HTTP/1.1\r\nX-Slow: ")));
        attacker.push_back(std::move(s));
        io_.run_for(5ms);
    }
    io_.run_for(50ms);
    EXPECT_EQ(server_->open_connections(), 3u);
    EXPECT_EQ(server_->refused_connections(), 9u);  // busy ones: none could be evicted
    // The refused ones were told why, not left hanging.
    std::string refusal;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            char buf[1024];
            auto [ec, n] = co_await attacker.back()->async_read_some(
                asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            refusal.assign(buf, ec ? 0 : n);
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(refusal.starts_with("HTTP/1.1 503")) << refusal;
    EXPECT_NE(refusal.find("connection limit per client"), std::string::npos) << refusal;

    curl::HttpClient honest(io_, {.local_address = "127.0.0.2"});
    std::optional<Result<curl::HttpResponse>> got;
    done = false;
    honest.async_request({.url = url("/x")}, [&](Result<curl::HttpResponse> r) {
        got = std::move(r);
        done = true;
    });
    run_until(done);
    ASSERT_TRUE(got->has_value()) << got->error().message();
    EXPECT_EQ((*got)->status, 200);
}

// Many honest clients behind one address (peers on one machine, a NAT) keep idle
// keep-alive connections: at the cap, the address's own oldest idle one makes room.
TEST_F(HttpTest, AtThePerClientCapTheAddresssOwnIdleConnectionMakesRoom) {
    serve({.max_connections_per_client = 2}, echo_handler());
    tcp::socket a(io_), b(io_), c(io_);
    a.connect(server_->local_endpoint());
    b.connect(server_->local_endpoint());
    std::string ra, rb, rc;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            ra = co_await raw_exchange(a, "/a");
            rb = co_await raw_exchange(b, "/b");
            done = true;
        },
        asio::detached);
    run_until(done);
    c.connect(server_->local_endpoint());
    done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            rc = co_await raw_exchange(c, "/c");
            done = true;
        },
        asio::detached);
    run_until(done);
    EXPECT_TRUE(rc.starts_with("HTTP/1.1 200")) << rc;
    EXPECT_EQ(server_->evicted_connections(), 1u);
    EXPECT_EQ(server_->refused_connections(), 0u);
}

// The books hold only addresses with a connection open: clients that came and went, and
// clients that were refused, leave nothing behind.
TEST_F(HttpTest, PerClientBooksForgetClientsThatLeft) {
    serve({.max_connections_per_client = 1}, echo_handler());
    for (int host = 2; host < 60; ++host) {
        const auto address = asio::ip::make_address("127.0.0." + std::to_string(host));
        tcp::socket first(io_), refused(io_);
        for (auto* s : {&first, &refused}) {
            s->open(tcp::v4());
            s->bind({address, 0});
            s->connect(server_->local_endpoint());
            // Busy in its header, so that it cannot give way to the second.
            asio::write(*s, asio::buffer(std::string("GET / HTTP/1.1\r\n")));
            io_.run_for(2ms);
        }
    }
    io_.run_for(20ms);
    EXPECT_EQ(server_->refused_connections(), 58u);
    const bool emptied = [&] {
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (server_->tracked_clients() != 0 && std::chrono::steady_clock::now() < until) {
            io_.run_for(5ms);
        }
        return server_->tracked_clients() == 0;
    }();
    EXPECT_TRUE(emptied) << server_->tracked_clients() << " addresses still in the books";
    EXPECT_EQ(server_->open_connections(), 0u);
}

// A handler that throws something that is not a std::exception: the request is answered
// 500, the connection's books are closed, and the server goes on serving.
TEST_F(HttpTest, HandlerThrowingAnyTypeGets500AndServerKeepsServing) {
    struct NotAnException {};
    serve({},
          [](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
              if (req.target() == "/throw") {
                  throw NotAnException{};
              }
              co_return http::make_json_response(req, http::Status::ok, "{}");
          });
    std::vector<long> statuses;
    bool done = false;
    {
        curl::HttpClient client(io_);
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                for (const char* target : {"/throw", "/ok", "/throw", "/ok"}) {
                    curl::HttpRequest request{.url = url(target)};
                    auto res = co_await client.request(std::move(request));
                    statuses.push_back(res ? res->status : -1);
                }
                done = true;
            },
            asio::detached);
        run_until(done);
    }
    EXPECT_EQ(statuses, (std::vector<long>{500, 200, 500, 200}));
    const bool closed = [&] {
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (server_->open_connections() != 0 && std::chrono::steady_clock::now() < until) {
            io_.run_for(5ms);
        }
        return server_->open_connections() == 0;
    }();
    EXPECT_TRUE(closed);
    EXPECT_EQ(server_->tracked_clients(), 0u);
    EXPECT_EQ(server_->active_requests(), 0u);
}

TEST(HttpPath, SegmentsAndQuery) {
    EXPECT_EQ(http::path_segments("/v1/channels/news/announce?x=1"),
              (std::vector<std::string_view>{"v1", "channels", "news", "announce"}));
    EXPECT_TRUE(http::path_segments("/").empty());
    EXPECT_EQ(http::path_segments("//a//b/"), (std::vector<std::string_view>{"a", "b"}));
    EXPECT_EQ(http::query_string("/a?b=1&c"), "b=1&c");
    EXPECT_EQ(http::query_param("b=1&c=two", "c").value_or(""), "two");
    EXPECT_FALSE(http::query_param("b=1", "c").has_value());
}

}  // namespace
}  // namespace p2pls
