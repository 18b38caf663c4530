// The shared HTTP server and client over TLS on loopback, with a CA made at run time:
// a real handshake, certificate errors that say so at once, a plain client on the TLS
// port, and a client that stalls in the handshake.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>

#include "common/curl/http_client.hpp"
#include "common/http/http_server.hpp"
#include "common/http/tls_context.hpp"
#include "tests/support/test_ca.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

class HttpsTest : public ::testing::Test {
  protected:
    void serve(http::ServerLimits limits = {}) {
        server_.emplace(
            io_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits,
            [](http::Request& req,
               const http::RequestContext& ctx) -> asio::awaitable<http::Response> {
                co_return http::make_json_response(
                    req, http::Status::ok,
                    "{\"remote\":\"" + ctx.remote.address().to_string() + "\"}");
            },
            http::make_server_tls_context(
                {.cert_file = ca_.server_cert().string(), .key_file = ca_.server_key().string()}));
        server_->start();
    }

    std::string url(std::string_view scheme, std::string_view path = "/x") const {
        return std::string(scheme) +
               "://127.0.0.1:" + std::to_string(server_->local_endpoint().port()) +
               std::string(path);
    }

    // One request; runs the io_context until its answer or a 10 s deadline.
    Result<curl::HttpResponse> fetch(curl::HttpClient& client, std::string target) {
        std::optional<Result<curl::HttpResponse>> got;
        client.async_request({.url = std::move(target)},
                             [&](Result<curl::HttpResponse> r) { got = std::move(r); });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!got && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
        }
        if (!got) {
            ADD_FAILURE() << "no answer within 10 s";
            return make_error_code(Errc::timeout);
        }
        return std::move(*got);
    }

    bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!done() && std::chrono::steady_clock::now() < until) {
            io_.run_for(5ms);
        }
        return done();
    }

    testing::TestCa ca_;
    asio::io_context io_;
    std::optional<http::HttpServer> server_;
};

TEST_F(HttpsTest, RequestsOverTlsVerifyAgainstTheCaFileAndKeepTheRemoteAddress) {
    serve();
    EXPECT_TRUE(server_->serves_tls());
    curl::HttpClient client(io_, {.ca_file = ca_.ca_cert().string()});
    for (int i = 0; i < 2; ++i) {
        auto got = fetch(client, url("https"));
        ASSERT_TRUE(got.has_value()) << got.error().message();
        EXPECT_EQ(got->status, 200);
        EXPECT_EQ(got->body, "{\"remote\":\"127.0.0.1\"}");
    }
    EXPECT_EQ(server_->open_connections(), 1u);  // kept alive over TLS
}

TEST_F(HttpsTest, CertificateFromAnotherCaIsAClearErrorNotAHang) {
    serve();
    testing::TestCa other;
    curl::HttpClient client(io_, {.ca_file = other.ca_cert().string()});
    const auto started = std::chrono::steady_clock::now();
    auto got = fetch(client, url("https"));
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error(), make_error_code(Errc::tls_certificate_invalid));
    EXPECT_NE(got.error().message().find("CA file"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    EXPECT_TRUE(wait_for([&] { return server_->open_connections() == 0; }));
}

TEST_F(HttpsTest, HttpsClientToAPlainServerIsATlsError) {
    http::HttpServer plain(
        io_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, {},
        [](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
            co_return http::make_json_response(req, http::Status::ok, "{}");
        });
    plain.start();
    curl::HttpClient client(io_, {.ca_file = ca_.ca_cert().string()});
    auto got =
        fetch(client, "https://127.0.0.1:" + std::to_string(plain.local_endpoint().port()) + "/x");
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error(), make_error_code(Errc::tls_failed));
}

TEST_F(HttpsTest, PlainClientOnTheTlsPortIsClosedCleanly) {
    serve();
    curl::HttpClient client(io_);
    auto got = fetch(client, url("http"));
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error(), make_error_code(Errc::unavailable));
    EXPECT_TRUE(wait_for([&] { return server_->open_connections() == 0; }));
    EXPECT_EQ(server_->tracked_clients(), 0u);
    // The server carries on over TLS.
    curl::HttpClient tls_client(io_, {.ca_file = ca_.ca_cert().string()});
    auto ok = fetch(tls_client, url("https"));
    ASSERT_TRUE(ok.has_value()) << ok.error().message();
    EXPECT_EQ(ok->status, 200);
}

// Connections that never finish the handshake hold no request slot, are closed when the
// handshake timeout passes, and give way to a newcomer when the server is full.
TEST_F(HttpsTest, StalledHandshakesAreBoundedAndEvictable) {
    serve({.handshake_timeout = 500ms, .max_connections = 2, .max_requests_per_client = 1});
    tcp::socket stalled_a(io_), stalled_b(io_);
    stalled_a.connect(server_->local_endpoint());
    stalled_b.connect(server_->local_endpoint());
    // Half a ClientHello record header, then nothing.
    asio::write(stalled_b, asio::buffer(std::string("\x16\x03\x01", 3)));
    ASSERT_TRUE(wait_for([&] { return server_->open_connections() == 2; }));
    EXPECT_EQ(server_->active_requests(), 0u);

    // Full, but both are idle in their handshake: the oldest is closed for the newcomer.
    curl::HttpClient client(io_, {.ca_file = ca_.ca_cert().string()});
    auto got = fetch(client, url("https"));
    ASSERT_TRUE(got.has_value()) << got.error().message();
    EXPECT_EQ(got->status, 200);
    EXPECT_EQ(server_->evicted_connections(), 1u);
    EXPECT_EQ(server_->refused_connections(), 0u);

    // The other stalled one is dropped when its handshake time is up.
    bool closed = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            char buf[256];
            for (;;) {
                auto [ec, n] = co_await stalled_b.async_read_some(
                    asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
                if (ec) {
                    break;
                }
            }
            closed = true;
        },
        asio::detached);
    EXPECT_TRUE(wait_for([&] { return closed; }, 3s));
}

TEST(TlsContext, UnusableFilesAreAStartUpErrorNamingTheFile) {
    testing::TestCa ca;
    try {
        (void)http::make_server_tls_context(
            {.cert_file = "/nonexistent/cert.pem", .key_file = ca.server_key().string()});
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/cert.pem"), std::string::npos);
    }
    try {
        // The CA's certificate with the server's key: a pair that does not match.
        (void)http::make_server_tls_context(
            {.cert_file = ca.ca_cert().string(), .key_file = ca.server_key().string()});
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("server.key"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace p2pls
