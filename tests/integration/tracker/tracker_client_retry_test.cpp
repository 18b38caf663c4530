// The tracker client against a busy tracker: a 503 with Retry-After is honoured (no retry
// sooner than asked), but never beyond the client's own backoff cap. The "tracker" here
// is a bare socket answering every request with the same 503, so the test counts the
// client's attempts exactly.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <string>

#include "tracker/curl/tracker_client.hpp"

namespace p2pls::tracker {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Accepts connections and answers each request with 503 and `retry_after`.
class BusyTracker {
  public:
    BusyTracker(asio::io_context& io, std::string retry_after)
        : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}),
          reply_("HTTP/1.1 503 Service Unavailable\r\nRetry-After: " + retry_after +
                 "\r\nContent-Type: application/json\r\nContent-Length: 16\r\n"
                 "Connection: close\r\n\r\n{\"error\":\"busy\"}") {
        asio::co_spawn(io, accept(), asio::detached);
    }
    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    [[nodiscard]] int requests() const { return requests_; }

  private:
    asio::awaitable<void> accept() {
        for (;;) {
            tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
            asio::streambuf request;
            co_await asio::async_read_until(socket, request, "\r\n\r\n", asio::use_awaitable);
            ++requests_;
            co_await asio::async_write(socket, asio::buffer(reply_), asio::use_awaitable);
        }
    }

    tcp::acceptor acceptor_;
    std::string reply_;
    int requests_ = 0;
};

tracker_api::AnnounceRequest announce() {
    tracker_api::AnnounceRequest r;
    r.set_peer_id("p");
    r.set_endpoint("127.0.0.1:7000");
    r.set_mode(wire::native);
    return r;
}

// Runs the client against `tracker` for `d`; returns the statuses it reported.
std::vector<int> run_for(asio::io_context& io, const BusyTracker& tracker,
                         TrackerClientOptions options, std::chrono::milliseconds d) {
    TrackerClient client(io, tracker.url(), "ch", options);
    std::vector<int> statuses;
    client.start(announce(), {},
                 [&](const std::string&, int status) { statuses.push_back(status); });
    io.run_for(d);
    return statuses;
}

TEST(TrackerClientRetry, WaitsAsLongAsABusyTrackerAsks) {
    asio::io_context io;
    BusyTracker tracker(io, "3");
    TrackerClientOptions o;
    o.initial_backoff = 100ms;  // alone, it would retry 4-5 times in 1.5 s
    o.max_backoff = 10s;
    const auto statuses = run_for(io, tracker, o, 1500ms);
    EXPECT_EQ(tracker.requests(), 1);
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses[0], 503);
}

TEST(TrackerClientRetry, NeverWaitsLongerThanItsBackoffCap) {
    asio::io_context io;
    BusyTracker tracker(io, "100000");
    TrackerClientOptions o;
    o.initial_backoff = 100ms;
    o.max_backoff = 300ms;
    run_for(io, tracker, o, 1500ms);
    EXPECT_GE(tracker.requests(), 3);
}

TEST(TrackerClientRetry, AMalformedRetryAfterMeansTheUsualBackoff) {
    asio::io_context io;
    BusyTracker tracker(io, "soon");
    TrackerClientOptions o;
    o.initial_backoff = 100ms;
    o.max_backoff = 10s;
    run_for(io, tracker, o, 1500ms);
    EXPECT_GE(tracker.requests(), 3);
}

}  // namespace
}  // namespace p2pls::tracker
