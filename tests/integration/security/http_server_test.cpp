// Attacks on the shared HTTP server, played against the real p2pls-tracker: one address
// opening connections that it keeps busy (slow headers), and clients that open TLS
// connections and never finish the handshake. Each time a client on another address
// still gets its answers.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/curl/http_client.hpp"
#include "tests/integration/tracker/tracker_process.hpp"
#include "tests/support/test_ca.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// One GET from `local_address`; the status, or -1 with the error's words in `why`.
long get_status(const std::string& url, const std::string& local_address,
                const std::string& ca_file, std::string& why) {
    asio::io_context io;
    curl::HttpClient client(io, {.local_address = local_address, .ca_file = ca_file});
    std::optional<Result<curl::HttpResponse>> got;
    client.async_request({.url = url, .timeout = 5s},
                         [&](Result<curl::HttpResponse> r) { got = std::move(r); });
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!got && std::chrono::steady_clock::now() < until) {
        io.run_for(10ms);
    }
    if (!got || !got->has_value()) {
        why = got ? got->error().message() : "no answer";
        return -1;
    }
    return (*got)->status;
}

// `n` connections from 127.0.0.1 that each send `first_bytes` and then stall.
std::vector<std::unique_ptr<tcp::socket>> stalled_connections(asio::io_context& io,
                                                              std::uint16_t port, int n,
                                                              const std::string& first_bytes) {
    std::vector<std::unique_ptr<tcp::socket>> sockets;
    for (int i = 0; i < n; ++i) {
        auto s = std::make_unique<tcp::socket>(io);
        boost::system::error_code ec;
        s->connect({asio::ip::make_address("127.0.0.1"), port}, ec);
        if (!ec && !first_bytes.empty()) {
            asio::write(*s, asio::buffer(first_bytes), ec);
        }
        sockets.push_back(std::move(s));
    }
    return sockets;
}

// 150 connections from one address, each a request header that never ends, against a
// tracker that takes 100 connections in all: without a cap per address they would all
// be busy (nothing idle to evict) and every newcomer refused. With the tracker's default
// cap of 64 per address, another address is still served.
TEST(HttpServerAttack, OneAddressHoldingConnectionsBusyCannotStarveAnother) {
    testing::TempDir dir("p2pls-http-attack");
    const auto config = dir.path() / "tracker.toml";
    std::ofstream(config) << "max_connections = 100\n";
    testing::TrackerProcess tracker(dir);
    tracker.start({"--config", config.string()});
    const std::string url = "http://127.0.0.1:" + std::to_string(tracker.port()) + "/v1/channels";

    asio::io_context io;
    const auto attack =
        stalled_connections(io, tracker.port(), 150, "GET /v1/channels HTTP/1.1\r\nX-Slow: ");
    std::this_thread::sleep_for(200ms);

    std::string why;
    EXPECT_EQ(get_status(url, "127.0.0.2", "", why), 200) << why;
    EXPECT_EQ(get_status(url, "127.0.0.3", "", why), 200) << why;
    // The attacker's own address is at its cap, and gets a 503 it can read, not a hang.
    EXPECT_EQ(get_status(url, "127.0.0.1", "", why), 503) << why;
    EXPECT_TRUE(tracker.child()->running());
}

// Over TLS: connections that stall in the handshake (nothing sent, or half a record)
// hold no request slot and count as idle, so a full tracker closes them for a newcomer.
TEST(HttpServerAttack, StalledTlsHandshakesCannotStarveHonestClients) {
    testing::TempDir dir("p2pls-http-attack");
    testing::TestCa ca;
    const auto config = dir.path() / "tracker.toml";
    std::ofstream(config) << "max_connections = 40\n";
    testing::TrackerProcess tracker(dir);
    tracker.start({"--config", config.string(), "--tls-cert", ca.server_cert().string(),
                   "--tls-key", ca.server_key().string()});
    const std::string url = "https://127.0.0.1:" + std::to_string(tracker.port()) + "/v1/channels";

    asio::io_context io;
    const auto silent = stalled_connections(io, tracker.port(), 30, "");
    const auto half_hello =
        stalled_connections(io, tracker.port(), 30, std::string("\x16\x03\x01", 3));
    std::this_thread::sleep_for(200ms);

    std::string why;
    for (const char* address : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
        EXPECT_EQ(get_status(url, address, ca.ca_cert().string(), why), 200) << why;
    }
    // A client that does not trust the CA learns why at once.
    testing::TestCa other;
    EXPECT_EQ(get_status(url, "127.0.0.5", other.ca_cert().string(), why), -1);
    EXPECT_NE(why.find("certificate"), std::string::npos) << why;
    EXPECT_TRUE(tracker.child()->running());
}

}  // namespace
}  // namespace p2pls
