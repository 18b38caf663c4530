// The HTTP API as a pure function: routing, JSON and every bad input, no socket.
#include "tracker/core/api.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/core/proto_json.hpp"
#include "p2pls/http.pb.h"
#include "tests/support/signed_source.hpp"

namespace p2pls::tracker {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSourceJson =
    R"({"peer_id":"src","endpoint":"127.0.0.1:9000","event":"started","is_source":true,)"
    R"("bitrate_bps":1000000,"chunk_ms":1000,"public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",)"
    R"("live_edge":12})";

// A tracker that lets the DECADE server holding kRegistrationKey register.
const RegistrationKey kRegistrationKey = [] {
    RegistrationKey k{};
    k.fill(0x42);
    return k;
}();

TrackerConfig api_config() {
    TrackerConfig c;
    c.server_credentials.shared_key = kRegistrationKey;
    return c;
}

// kSourceJson as the source signs it, at Unix ms `ts`.
std::string signed_source_json(std::int64_t ts, testing::SourceSigner& signer) {
    tracker_api::AnnounceRequest r;
    EXPECT_EQ(parse_json(kSourceJson, r), std::nullopt);
    signer.sign(r, "news", ts);
    return to_json(r);
}

struct Api {
    TrackerState state{api_config(), 1};
    TimePoint now{100s};
    std::int64_t unix_ms = 1'800'000'000'000;
    std::string proof_timestamp;
    std::string proof;
    testing::SourceSigner signer;

    ApiResponse source() { return announce(signed_source_json(unix_ms, signer)); }
    // POST /v1/decade-servers with a proof of `key` (none: no proof headers).
    ApiResponse register_server(std::string_view body,
                                std::optional<RegistrationKey> key = kRegistrationKey,
                                std::int64_t at_ms = 0) {
        const std::int64_t ts = at_ms != 0 ? at_ms : unix_ms;
        proof_timestamp = key ? std::to_string(ts) : "";
        proof = key ? make_registration_proof(*key, ts, body) : "";
        auto r = call("POST", "/v1/decade-servers", body);
        proof_timestamp.clear();
        proof.clear();
        return r;
    }

    ApiResponse call(std::string_view method, std::string_view target, std::string_view body = {}) {
        return handle_request(state,
                              ApiRequest{.method = method,
                                         .target = target,
                                         .body = body,
                                         .remote_host = "127.0.0.1",
                                         .unix_ms = unix_ms,
                                         .proof_timestamp = proof_timestamp,
                                         .proof = proof},
                              now);
    }
    ApiResponse announce(std::string_view body, std::string_view channel = "news") {
        return call("POST", "/v1/channels/" + std::string(channel) + "/announce", body);
    }
};

http_api::ErrorBody error_of(const ApiResponse& r) {
    http_api::ErrorBody body;
    EXPECT_EQ(parse_json(r.body, body), std::nullopt) << r.body;
    return body;
}

TEST(TrackerApi, JoinListGetAndMetrics) {
    Api api;
    ASSERT_EQ(api.source().status, 200u);
    auto join = api.announce(
        R"({"peer_id":"p1","endpoint":"127.0.0.1:7001","mode":"native","event":"started"})");
    ASSERT_EQ(join.status, 200u) << join.body;
    tracker_api::AnnounceResponse reply;
    ASSERT_EQ(parse_json(join.body, reply), std::nullopt);
    EXPECT_EQ(reply.channel().live_edge(), 12u);
    EXPECT_EQ(reply.source().endpoint(), "127.0.0.1:9000");

    auto list = api.call("GET", "/v1/channels?verbose=1");
    ASSERT_EQ(list.status, 200u);
    tracker_api::ChannelList channels;
    ASSERT_EQ(parse_json(list.body, channels), std::nullopt);
    ASSERT_EQ(channels.channels_size(), 1);
    EXPECT_EQ(channels.channels(0).members(), 1u);

    auto one = api.call("GET", "/v1/channels/news");
    ASSERT_EQ(one.status, 200u);
    tracker_api::ChannelInfo info;
    ASSERT_EQ(parse_json(one.body, info), std::nullopt);
    EXPECT_EQ(info.bitrate_bps(), 1'000'000u);

    auto metrics = api.call("GET", "/metrics");
    EXPECT_EQ(metrics.status, 200u);
    EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4");
    EXPECT_NE(metrics.body.find("p2pls_tracker_members{channel=\"news\"} 1"), std::string::npos);

    auto reg = api.register_server(R"({"url":"http://127.0.0.1:8300","region":"eu","load":0.25})");
    EXPECT_EQ(reg.status, 200u) << reg.body;
    auto dpeer = api.announce(
        R"({"peer_id":"d1","endpoint":"127.0.0.1:7002","mode":"decade","region":"eu","event":"started"})");
    ASSERT_EQ(parse_json(dpeer.body, reply), std::nullopt);
    EXPECT_EQ(reply.decade_server().url(), "http://127.0.0.1:8300");
}

TEST(TrackerApi, EveryBadInputIs4xxWithANamedProblemAndNoStateChange) {
    Api api;
    ASSERT_EQ(api.source().status, 200u);
    ASSERT_EQ(
        api.announce(R"({"peer_id":"p1","endpoint":"127.0.0.1:7001","event":"started"})").status,
        200u);
    const auto snapshot = [&] { return api.call("GET", "/v1/channels").body; };
    const std::string before = snapshot();

    struct Case {
        const char* name;
        std::string method = "POST";
        std::string target = "/v1/channels/news/announce";
        std::string body = {};
        unsigned status = 400;
        const char* error;
        const char* detail_mentions;  // what the error must name
    };
    const Case cases[] = {
        {.name = "malformed json",
         .body = R"({"peer_id":"p1",)",
         .error = "bad_json",
         .detail_mentions = "AnnounceRequest"},
        {.name = "not an object",
         .body = "[1,2]",
         .error = "bad_json",
         .detail_mentions = "AnnounceRequest"},
        {.name = "empty body", .body = "", .error = "bad_json", .detail_mentions = "JSON"},
        {.name = "unknown field",
         .body = R"({"peer_id":"p1","endpoint":"127.0.0.1:1","event":"heartbeat","colour":"red"})",
         .error = "bad_json",
         .detail_mentions = "colour"},
        {.name = "wrong type",
         .body = R"({"peer_id":17,"endpoint":"127.0.0.1:1","event":"heartbeat"})",
         .error = "bad_json",
         .detail_mentions = "peer_id"},
        {.name = "unknown event",
         .body = R"({"peer_id":"p1","endpoint":"127.0.0.1:1","event":"exploded"})",
         .error = "bad_json",
         .detail_mentions = "event"},
        {.name = "empty peer id",
         .body = R"({"peer_id":"","endpoint":"127.0.0.1:1","event":"heartbeat"})",
         .error = "bad_peer_id",
         .detail_mentions = "peer_id"},
        {.name = "absurd port",
         .body = R"({"peer_id":"p1","endpoint":"127.0.0.1:99999","event":"heartbeat"})",
         .error = "bad_endpoint",
         .detail_mentions = "port"},
        {.name = "port zero",
         .body = R"({"peer_id":"p1","endpoint":"127.0.0.1:0","event":"heartbeat"})",
         .error = "bad_endpoint",
         .detail_mentions = "port"},
        {.name = "unknown channel",
         .target = "/v1/channels/sport/announce",
         .body = R"({"peer_id":"p1","endpoint":"127.0.0.1:1","event":"started"})",
         .status = 404,
         .error = "unknown_channel",
         .detail_mentions = "sport"},
        {.name = "oversized body",
         .body = R"({"peer_id":")" + std::string(20'000, 'a') + R"("})",
         .status = 413,
         .error = "body_too_large",
         .detail_mentions = "bytes"},
        {.name = "bad channel name",
         .target = "/v1/channels/a%20b/announce",
         .body = R"({"peer_id":"p1","endpoint":"127.0.0.1:1","event":"started"})",
         .error = "bad_channel",
         .detail_mentions = "channel"},
        {.name = "wrong method",
         .method = "DELETE",
         .status = 405,
         .error = "method_not_allowed",
         .detail_mentions = "POST"},
        {.name = "unknown path",
         .method = "GET",
         .target = "/v2/whatever",
         .status = 404,
         .error = "not_found",
         .detail_mentions = "resource"},
        {.name = "unknown channel get",
         .method = "GET",
         .target = "/v1/channels/sport",
         .status = 404,
         .error = "unknown_channel",
         .detail_mentions = "sport"},
        {.name = "decade server wrong type",
         .target = "/v1/decade-servers",
         .body = R"({"url":"http://x:1","load":"high"})",
         .error = "bad_json",
         .detail_mentions = "load"},
        {.name = "decade server without a proof",
         .target = "/v1/decade-servers",
         .body = R"({"url":"http://127.0.0.1:8301","load":0})",
         .status = 401,
         .error = "registration_unauthorized",
         .detail_mentions = "X-P2pls-Proof"},
    };
    for (const Case& c : cases) {
        const auto r = api.call(c.method, c.target, c.body);
        EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
        EXPECT_EQ(r.content_type, "application/json") << c.name;
        const auto body = error_of(r);
        EXPECT_EQ(body.error(), c.error) << c.name << ": " << r.body;
        EXPECT_NE(body.detail().find(c.detail_mentions), std::string::npos)
            << c.name << ": " << body.detail();
        EXPECT_EQ(snapshot(), before) << c.name;
    }
    EXPECT_EQ(api.call("DELETE", "/v1/channels/news/announce").allow, "POST");
    const auto metrics = api.call("GET", "/metrics").body;
    EXPECT_NE(metrics.find("p2pls_tracker_errors_total{error=\"bad_json\"} 7"), std::string::npos)
        << metrics;
}

}  // namespace
}  // namespace p2pls::tracker

namespace p2pls::tracker {
namespace {

TEST(TrackerApi, RandomGarbageNeverCrashesAndAlwaysGetsAJsonError) {
    Api api;
    ASSERT_EQ(api.source().status, 200u);
    const std::string before = api.call("GET", "/v1/channels").body;
    std::mt19937_64 rng(2024);
    const std::string targets[] = {"/v1/channels/news/announce", "/v1/decade-servers",
                                   "/v1/channels/news",          "/",
                                   "/v1/channels//announce",     "/v1/channels/../x/announce"};
    for (int round = 0; round < 3'000; ++round) {
        std::string body(rng() % 300, '\0');
        for (auto& c : body) {
            c = static_cast<char>(rng());
        }
        if (round % 3 == 0 && !body.empty()) {
            body[0] = '{';  // look a little like JSON
        }
        const std::string& target = targets[rng() % std::size(targets)];
        const auto r = api.call("POST", target, body);
        ASSERT_GE(r.status, 400u) << target;
        ASSERT_LT(r.status, 500u) << target;
        http_api::ErrorBody error;
        ASSERT_EQ(parse_json(r.body, error), std::nullopt) << r.body;
        EXPECT_FALSE(error.error().empty());
        for (const char c : r.body) {
            ASSERT_TRUE(c >= 0x20 && c < 0x7f) << "error bodies are printable ASCII";
        }
    }
    EXPECT_EQ(api.call("GET", "/v1/channels").body, before);
}

}  // namespace
}  // namespace p2pls::tracker
