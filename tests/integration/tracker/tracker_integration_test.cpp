// The real p2pls-tracker process driven by the libcurl tracker client: join, list,
// heartbeat, leave, expiry, a tracker restart under announcing clients, and bad input.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <optional>

#include "common/core/proto_json.hpp"
#include "common/curl/http_client.hpp"
#include "p2pls/http.pb.h"
#include "tests/integration/tracker/tracker_process.hpp"
#include "tests/support/signed_source.hpp"
#include "tracker/curl/tracker_client.hpp"

namespace p2pls::tracker {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using p2pls::testing::TempDir;
using p2pls::testing::TrackerProcess;

// The channel's source signs every announce with the channel key (the tracker refuses
// anything else), as p2pls-source does.
testing::SourceSigner& signer() {
    static testing::SourceSigner s;
    return s;
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// `r` signed for channel "news" now.
tracker_api::AnnounceRequest signed_for_news(tracker_api::AnnounceRequest r) {
    signer().sign(r, "news", unix_now_ms());
    return r;
}

tracker_api::AnnounceRequest source_request(std::uint64_t live_edge = 1) {
    tracker_api::AnnounceRequest r;
    r.set_peer_id("src");
    r.set_endpoint("127.0.0.1:9000");
    r.set_is_source(true);
    r.set_bitrate_bps(1'500'000);
    r.set_chunk_ms(1000);
    r.set_public_key(signer().public_key());
    r.set_live_edge(live_edge);
    return r;
}

tracker_api::AnnounceRequest peer_request(const std::string& id, int port) {
    tracker_api::AnnounceRequest r;
    r.set_peer_id(id);
    r.set_endpoint("127.0.0.1:" + std::to_string(port));
    r.set_mode(wire::native);
    return r;
}

// Fast retries so that a restart test takes seconds.
TrackerClientOptions fast() {
    TrackerClientOptions o;
    o.initial_backoff = 100ms;
    o.max_backoff = 400ms;
    o.request_timeout = 2s;
    o.default_interval = 1s;  // until the tracker tells one (e.g. after a 404 at start)
    return o;
}

// fast(), signing every announce as the channel's source.
TrackerClientOptions source_options() {
    TrackerClientOptions o = fast();
    o.before_announce = [](tracker_api::AnnounceRequest& r) {
        signer().sign(r, "news", unix_now_ms());
    };
    return o;
}

class TrackerIntegration : public ::testing::Test {
  protected:
    // Runs the io_context until `pred` holds or `limit` passes; a hang fails the test.
    template <class Pred>
    bool run_until(Pred pred, std::chrono::milliseconds limit = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            io_.restart();
            io_.run_for(5ms);
        }
        return true;
    }

    // Runs one coroutine to completion on the test's io_context.
    template <class T>
    T await(asio::awaitable<T> work) {
        std::optional<T> out;
        asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e, T value) {
            if (e) {
                std::rethrow_exception(e);
            }
            out = std::move(value);
        });
        EXPECT_TRUE(run_until([&] { return out.has_value(); }));
        return std::move(*out);
    }

    void await_void(asio::awaitable<void> work) {
        bool done = false;
        asio::co_spawn(io_, std::move(work), [&](std::exception_ptr) { done = true; });
        EXPECT_TRUE(run_until([&] { return done; }));
    }

    // A raw HTTP exchange, for inputs the typed client would never send.
    curl::HttpResponse raw(std::string method, std::string path, std::string body = {}) {
        curl::HttpRequest req;
        req.method = std::move(method);
        req.url = tracker_.url() + path;
        req.body = std::move(body);
        auto result = await(http_.request(std::move(req)));
        EXPECT_TRUE(result.has_value());
        return result ? *result : curl::HttpResponse{};
    }

    std::uint32_t members(TrackerClient& client) {
        auto info = await(client.channel_info());
        return info ? info->members() : 0;
    }

    TempDir dir_;
    TrackerProcess tracker_{dir_};
    asio::io_context io_;
    curl::HttpClient http_{io_};
};

TEST_F(TrackerIntegration, JoinListHeartbeatLeave) {
    tracker_.start({"--interval", "1"});
    TrackerClient source(io_, tracker_.url(), "news", source_options());
    TrackerClient a(io_, tracker_.url(), "news", fast());
    TrackerClient b(io_, tracker_.url(), "news", fast());
    std::optional<tracker_api::AnnounceResponse> last_a;
    std::optional<tracker_api::AnnounceResponse> last_b;
    int source_replies = 0;
    source.start(source_request(5), [&](const auto&) { ++source_replies; }, {});
    ASSERT_TRUE(run_until([&] { return source_replies > 0; }));
    a.start(peer_request("a", 7001), [&](const auto& r) { last_a = r; }, {});
    b.start(peer_request("b", 7002), [&](const auto& r) { last_b = r; }, {});

    // Join: each sees the other (never itself) and the channel's parameters.
    ASSERT_TRUE(run_until([&] { return last_a && last_a->peers_size() == 1; }));
    EXPECT_EQ(last_a->peers(0).peer_id(), "b");
    EXPECT_EQ(last_a->peers(0).endpoint(), "127.0.0.1:7002");
    EXPECT_EQ(last_a->source().endpoint(), "127.0.0.1:9000");
    EXPECT_EQ(last_a->channel().public_key(), signer().public_key());
    EXPECT_EQ(last_a->channel().bitrate_bps(), 1'500'000u);
    EXPECT_EQ(last_a->interval_s(), 1u);

    // List.
    auto list = await(a.list_channels());
    ASSERT_TRUE(list);
    ASSERT_EQ(list->channels_size(), 1);
    EXPECT_EQ(list->channels(0).name(), "news");
    EXPECT_EQ(list->channels(0).members(), 2u);

    // Heartbeats keep coming at the interval, and carry the source's new live edge.
    source.update([](auto& r) { r.set_live_edge(77); });
    source.announce_now();
    ASSERT_TRUE(
        run_until([&] { return a.announces_ok() >= 3 && last_a->channel().live_edge() == 77; }));
    EXPECT_EQ(members(a), 2u);

    // Leave: `stopped` removes b at once.
    await_void(b.stop());
    EXPECT_FALSE(b.running());
    EXPECT_EQ(members(a), 1u);
    const auto seen = a.announces_ok();
    ASSERT_TRUE(run_until([&] { return a.announces_ok() > seen; }));
    EXPECT_EQ(last_a->peers_size(), 0);
    await_void(a.stop());
    await_void(source.stop());
    // The source left and no member is left: the channel is gone.
    auto gone = await(a.channel_info());
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().status, 404u);
}

TEST_F(TrackerIntegration, SilentMemberExpiresAfterThreeIntervals) {
    tracker_.start({"--interval", "1"});
    TrackerClient source(io_, tracker_.url(), "news", source_options());
    int source_replies = 0;
    source.start(source_request(), [&](const auto&) { ++source_replies; }, {});
    ASSERT_TRUE(run_until([&] { return source_replies > 0; }));

    TrackerClient once(io_, tracker_.url(), "news", fast());
    auto join_request = peer_request("silent", 7003);
    join_request.set_event(tracker_api::started);
    const auto joined_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(await(once.announce_once(join_request)));
    EXPECT_EQ(members(once), 1u);
    ASSERT_TRUE(run_until([&] { return members(once) == 0; }, 10s));
    // Dropped no earlier than 3 intervals after its only announce.
    EXPECT_GE(std::chrono::steady_clock::now() - joined_at, 3s);
    const auto metrics = raw("GET", "/metrics");
    EXPECT_NE(metrics.body.find("p2pls_tracker_members_expired_total 1"), std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("p2pls_tracker_http_connections "), std::string::npos)
        << metrics.body;
    await_void(source.stop());
}

TEST_F(TrackerIntegration, ClientsRebuildTheStateAfterATrackerRestart) {
    tracker_.start({"--interval", "1"});
    TrackerClient source(io_, tracker_.url(), "news", source_options());
    TrackerClient peer(io_, tracker_.url(), "news", fast());
    int errors = 0;
    int transport_errors = 0;
    source.start(source_request(), {}, {});
    peer.start(peer_request("p", 7004), {}, [&](const std::string& what, int status) {
        ++errors;
        transport_errors += status == 0 ? 1 : 0;
        EXPECT_FALSE(what.empty());
    });
    ASSERT_TRUE(run_until([&] { return peer.announces_ok() > 0 && source.announces_ok() > 0; }));

    const std::uint16_t port = tracker_.port();
    EXPECT_EQ(tracker_.stop(SIGKILL), 128 + SIGKILL);
    ASSERT_TRUE(run_until([&] { return transport_errors > 0; }));
    EXPECT_TRUE(peer.running());  // the client keeps trying; its owner keeps running

    tracker_.start({"--interval", "1"}, port);
    const auto before = peer.announces_ok();
    ASSERT_TRUE(run_until([&] { return peer.announces_ok() > before; }));
    // Heartbeats from the source and the peer rebuilt the channel on the fresh tracker.
    ASSERT_TRUE(run_until([&] { return members(peer) == 1; }));
    auto info = await(peer.channel_info());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->source_endpoint(), "127.0.0.1:9000");
    await_void(peer.stop());
    await_void(source.stop());
}

TEST_F(TrackerIntegration, ClientErrorReachesOnErrorAndCanEndTheLoop) {
    tracker_.start();
    auto options = fast();
    options.stop_on_client_error = true;
    TrackerClient peer(io_, tracker_.url(), "nowhere", options);
    std::string message;
    int status = 0;
    peer.start(peer_request("p", 7005), {}, [&](const std::string& what, int s) {
        message = what;
        status = s;
    });
    ASSERT_TRUE(run_until([&] { return !peer.running(); }));
    EXPECT_EQ(status, 404);
    EXPECT_NE(message.find("nowhere"), std::string::npos) << message;
}

TEST_F(TrackerIntegration, BadInputGets4xxJsonAndChangesNothing) {
    tracker_.start();
    TrackerClient source(io_, tracker_.url(), "news", source_options());
    auto src = source_request(3);
    src.set_event(tracker_api::started);
    ASSERT_TRUE(await(source.announce_once(signed_for_news(src))));
    const std::string before = raw("GET", "/v1/channels").body;

    struct Case {
        const char* name;
        std::string path = "/v1/channels/news/announce";
        std::string body;
        long status = 400;
        const char* error;
    };
    const Case cases[] = {
        {.name = "malformed json", .body = "{\"peer_id\":", .error = "bad_json"},
        {.name = "unknown field",
         .body = R"({"peer_id":"p","endpoint":"127.0.0.1:1","event":"started","x":1})",
         .error = "bad_json"},
        {.name = "wrong type",
         .body = R"({"peer_id":["p"],"event":"started"})",
         .error = "bad_json"},
        {.name = "unknown channel",
         .path = "/v1/channels/none/announce",
         .body = R"({"peer_id":"p","endpoint":"127.0.0.1:1","event":"started"})",
         .status = 404,
         .error = "unknown_channel"},
        {.name = "oversized body (core cap)",
         .body = std::string(100'000, ' '),
         .status = 413,
         .error = "body_too_large"},
        {.name = "oversized body (server cap)",
         .body = std::string(2'000'000, ' '),
         .status = 413,
         .error = "body_too_large"},
        {.name = "empty peer id",
         .body = R"({"peer_id":"","endpoint":"127.0.0.1:1","event":"started"})",
         .error = "bad_peer_id"},
        {.name = "absurd port",
         .body = R"({"peer_id":"p","endpoint":"127.0.0.1:123456","event":"started"})",
         .error = "bad_endpoint"},
        {.name = "unsigned source hijack",
         .body = R"({"peer_id":"evil","endpoint":"127.0.0.1:1","event":"started","is_source":true,)"
                 R"("bitrate_bps":1,"public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})",
         .status = 401,
         .error = "announce_unsigned"},
    };
    for (const Case& c : cases) {
        const auto res = raw("POST", c.path, c.body);
        EXPECT_EQ(res.status, c.status) << c.name << ": " << res.body;
        EXPECT_EQ(res.header("content-type").value_or(""), "application/json") << c.name;
        http_api::ErrorBody error;
        EXPECT_EQ(parse_json(res.body, error), std::nullopt) << c.name << ": " << res.body;
        EXPECT_EQ(error.error(), c.error) << c.name;
        EXPECT_FALSE(error.detail().empty()) << c.name;
        EXPECT_EQ(raw("GET", "/v1/channels").body, before) << c.name;
    }
    // Still serving normally afterwards.
    auto peer = peer_request("p", 7006);
    peer.set_event(tracker_api::started);
    ASSERT_TRUE(await(source.announce_once(peer)));
}

TEST_F(TrackerIntegration, ExecutableFlagsAndCleanStop) {
    const auto [code, err] = TrackerProcess::run({"--interval", "zero"});
    EXPECT_NE(code, 0);
    EXPECT_NE(err.find("--interval"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

    const auto config = dir_.path() / "tracker.toml";
    std::ofstream(config) << "interval_s = 2\n[[decade_servers]]\nurl = \"http://127.0.0.1:8300\"\n"
                             "region = \"eu\"\nload = 0.5\n";
    const auto [bad_code, bad_err] =
        TrackerProcess::run({"--config", config.string(), "--listen", "nonsense"});
    EXPECT_NE(bad_code, 0);
    EXPECT_NE(bad_err.find("--listen"), std::string::npos) << bad_err;

    const auto unknown_key = dir_.path() / "unknown.toml";
    std::ofstream(unknown_key) << "intervall_s = 2\n";
    const auto [key_code, key_err] = TrackerProcess::run({"--config", unknown_key.string()});
    EXPECT_EQ(key_code, 2);
    EXPECT_NE(key_err.find("intervall_s"), std::string::npos) << key_err;

    tracker_.start({"--config", config.string()});
    // A second tracker on the same port: a one-line error and a non-zero exit.
    const auto [busy_code, busy_err] =
        TrackerProcess::run({"--listen", "127.0.0.1:" + std::to_string(tracker_.port())});
    EXPECT_NE(busy_code, 0);
    EXPECT_NE(busy_err.find("cannot listen"), std::string::npos) << busy_err;
    EXPECT_EQ(std::count(busy_err.begin(), busy_err.end(), '\n'), 1) << busy_err;

    TrackerClient source(io_, tracker_.url(), "news", source_options());
    auto src = source_request();
    src.set_event(tracker_api::started);
    src.set_mode(wire::decade);
    src.set_region("eu");
    auto reply = await(source.announce_once(signed_for_news(src)));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->interval_s(), 2u);
    EXPECT_EQ(reply->decade_server().url(), "http://127.0.0.1:8300");
    EXPECT_EQ(tracker_.stop(SIGTERM), 0);
}

TEST_F(TrackerIntegration, ConnectionCapFromConfigAnswers503) {
    const auto config = dir_.path() / "cap.toml";
    std::ofstream(config) << "max_connections = 2\n";
    tracker_.start({"--config", config.string()});
    // Two connections busy in a request header that never ends take both; an idle or
    // silent one would be closed to make room. Under load the server may accept the probe
    // before it has read a holder's first bytes (the holder is still idle and is evicted)
    // or time a holder's header out: a holder that was closed is opened again.
    asio::ip::tcp::socket a(io_);
    asio::ip::tcp::socket b(io_);
    const asio::ip::tcp::endpoint at{asio::ip::make_address("127.0.0.1"), tracker_.port()};
    const auto hold = [&](asio::ip::tcp::socket& s) {
        if (s.is_open()) {
            char byte = 0;
            boost::system::error_code ec;
            s.non_blocking(true);
            s.read_some(asio::buffer(&byte, 1), ec);
            if (ec == asio::error::would_block)
                return;
            s.close();
        }
        s.connect(at);
        asio::write(s, asio::buffer(std::string("GET /v1/channels HTTP/1.1\r\n")));
    };
    ASSERT_TRUE(run_until([&] {
        hold(a);
        hold(b);
        return raw("GET", "/metrics").status == 503;
    }));
    const auto refused = raw("GET", "/v1/channels");
    EXPECT_EQ(refused.status, 503);
    EXPECT_TRUE(refused.header("retry-after").has_value());
    http_api::ErrorBody error;
    EXPECT_EQ(parse_json(refused.body, error), std::nullopt) << refused.body;
    // Connections come back when those clients leave.
    a.close();
    b.close();
    ASSERT_TRUE(run_until([&] { return raw("GET", "/v1/channels").status == 200; }));
}

}  // namespace
}  // namespace p2pls::tracker
