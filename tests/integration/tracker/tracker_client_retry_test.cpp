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

struct Outcome {
    int requests = 0;           // what the busy tracker received
    std::vector<int> statuses;  // what the client reported to on_error
};

// A client with a 100 ms initial backoff (alone, 4-5 retries in 1.5 s) against a tracker
// that answers every announce with 503 and `retry_after`, for 1.5 s.
Outcome run_against(const std::string& retry_after, std::chrono::milliseconds max_backoff) {
    asio::io_context io;
    BusyTracker tracker(io, retry_after);
    TrackerClientOptions o;
    o.initial_backoff = 100ms;
    o.max_backoff = max_backoff;
    TrackerClient client(io, tracker.url(), "ch", o);
    Outcome out;
    client.start(announce(), {},
                 [&](const std::string&, int status) { out.statuses.push_back(status); });
    io.run_for(1500ms);
    out.requests = tracker.requests();
    return out;
}

TEST(TrackerClientRetry, WaitsAsLongAsABusyTrackerAsks) {
    const Outcome out = run_against("3", 10s);
    EXPECT_EQ(out.requests, 1);
    ASSERT_EQ(out.statuses.size(), 1u);
    EXPECT_EQ(out.statuses[0], 503);
}

TEST(TrackerClientRetry, NeverWaitsLongerThanItsBackoffCap) {
    EXPECT_GE(run_against("100000", 300ms).requests, 3);
}

TEST(TrackerClientRetry, AMalformedRetryAfterMeansTheUsualBackoff) {
    EXPECT_GE(run_against("soon", 10s).requests, 3);
}

}  // namespace
}  // namespace p2pls::tracker
