// The JSON fast paths must agree with protobuf's JSON mapping, byte for byte and field
// for field: whatever the fast parser accepts, protobuf accepts with the same result.
#include "tracker/core/fast_json.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/core/proto_json.hpp"

namespace p2pls::tracker {
namespace {

tracker_api::AnnounceRequest full_request() {
    tracker_api::AnnounceRequest r;
    r.set_peer_id("peer-7");
    r.set_endpoint("127.0.0.1:7007");
    r.set_mode(wire::decade);
    r.set_decade_server("http://127.0.0.1:8300");
    r.set_event(tracker_api::heartbeat);
    r.set_region("eu-west");
    r.set_num_want(30);
    r.set_live_edge(12345678901234ULL);
    r.set_bitrate_bps(2'000'000);
    r.set_chunk_ms(1000);
    // A signed source announce's fields (base64 bytes and a 64-bit timestamp).
    r.set_public_key(std::string(32, '\xfb'));
    r.set_source_epoch(std::string(16, '\x3e'));
    r.set_timestamp_ms(1'800'000'000'123ULL);
    r.set_signature(std::string(64, '\x07'));
    return r;
}

// The invariant: fast accepted => protobuf accepted, with the same message.
void expect_agrees(const std::string& json) {
    tracker_api::AnnounceRequest fast;
    tracker_api::AnnounceRequest slow;
    const bool fast_ok = parse_announce_fast(json, fast);
    const bool slow_ok = !parse_json(json, slow).has_value();
    if (fast_ok) {
        ASSERT_TRUE(slow_ok) << json;
        ASSERT_EQ(fast.SerializeAsString(), slow.SerializeAsString()) << json;
    } else {
        EXPECT_EQ(fast.ByteSizeLong(), 0u) << "a refused parse leaves the message clear";
    }
}

TEST(FastJson, WhatClientsSendIsOnTheFastPath) {
    for (const std::string& json :
         {to_json(full_request()), to_json(tracker_api::AnnounceRequest{}),
          std::string(R"({"peer_id":"p","endpoint":"h:1","event":"started","num_want":0})"),
          std::string(" {\n \"peer_id\" : \"p\" ,\t\"is_source\":true , \"live_edge\": 5 }\r\n")}) {
        tracker_api::AnnounceRequest fast;
        EXPECT_TRUE(parse_announce_fast(json, fast)) << json;
        expect_agrees(json);
    }
    tracker_api::AnnounceRequest fast;
    ASSERT_TRUE(parse_announce_fast(to_json(full_request()), fast));
    EXPECT_EQ(fast.SerializeAsString(), full_request().SerializeAsString());
}

TEST(FastJson, AnythingUnusualIsLeftToProtobuf) {
    const char* cases[] = {
        R"({"peer_id":"a\"b"})",             // escapes
        R"({"peerId":"p"})",                 // camelCase name
        R"({"peer_id":"p","peer_id":"q"})",  // duplicate
        R"({"colour":"red"})",               // unknown field
        R"({"num_want":"20"})",              // quoted 32-bit number
        R"({"num_want":020})",               // leading zero
        R"({"num_want":4294967296})",        // out of range
        R"({"num_want":1.0})",               // float form
        R"({"num_want":-1})",                // sign
        R"({"live_edge":"18446744073709551616"})",
        R"({"mode":"bogus"})",
        R"({"mode":2})",  // enum by number
        R"({"event":null})",
        R"({"public_key":"AAA"})",  // unpadded base64: protobuf decides
        R"({"is_source":"true"})",
        R"({"peer_id":"p"} x)",
        R"({"peer_id":"p",})",
        R"([])",
        "",
        "{\"peer_id\":\"caf\xc3\xa9\"}",  // non-ASCII
    };
    for (const char* json : cases) {
        tracker_api::AnnounceRequest fast;
        EXPECT_FALSE(parse_announce_fast(json, fast)) << json;
        expect_agrees(json);
    }
}

TEST(FastJson, MutatedInputsNeverDisagreeWithProtobuf) {
    const std::string seeds[] = {to_json(full_request()),
                                 R"({"peer_id":"p","endpoint":"h:1","event":"started"})"};
    const std::string alphabet = "{}[]\":,0123456789 \\aeptrsuflnx-.";
    std::mt19937_64 rng(99);
    for (int round = 0; round < 20'000; ++round) {
        std::string json = seeds[round % 2];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !json.empty(); ++e) {
            const std::size_t at = rng() % json.size();
            const char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
                case 0:
                    json[at] = c;
                    break;
                case 1:
                    json.insert(json.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                default:
                    json.erase(at, 1);
                    break;
            }
        }
        expect_agrees(json);
        if (::testing::Test::HasFatalFailure()) {
            return;
        }
    }
}

TEST(FastJson, ReplyBytesEqualProtobufs) {
    std::mt19937_64 rng(5);
    const std::string strings[] = {"",          "peer-1",  "127.0.0.1:7000", "http://d:8300/x",
                                   "a\"b",      "<tag>",   "caf\xc3\xa9",    "x=y&z",
                                   "tab\there", "[::1]:80"};
    const double loads[] = {0.0, 1.0, 0.25, 0.1, 1.0 / 3.0, 1e-7, 0.30000000000000004};
    const auto pick = [&] { return strings[rng() % std::size(strings)]; };
    for (int round = 0; round < 2'000; ++round) {
        tracker_api::AnnounceResponse reply;
        reply.set_interval_s(static_cast<std::uint32_t>(rng() % 4000));
        const int peers = static_cast<int>(rng() % 52);
        for (int i = 0; i < peers; ++i) {
            auto* p = reply.add_peers();
            p->set_peer_id(pick());
            p->set_endpoint(pick());
            p->set_mode(static_cast<wire::Mode>(rng() % 3));
            p->set_decade_server(pick());
        }
        if (rng() % 2) {
            reply.mutable_source()->set_endpoint(pick());
        }
        if (rng() % 2) {
            auto* d = reply.mutable_decade_server();
            d->set_url(pick());
            d->set_region(pick());
            d->set_load(loads[rng() % std::size(loads)]);
        }
        if (rng() % 4) {
            auto* c = reply.mutable_channel();
            c->set_name(pick());
            c->set_bitrate_bps(rng());
            c->set_chunk_ms(static_cast<std::uint32_t>(rng()));
            std::string key(rng() % 40, '\0');
            for (auto& b : key) {
                b = static_cast<char>(rng());
            }
            c->set_public_key(key);
            c->set_source_endpoint(pick());
            c->set_live_edge(rng() % 2 ? rng() : 0);
            c->set_members(static_cast<std::uint32_t>(rng() % 100'000));
            if (rng() % 2) {
                c->set_source_epoch(key.substr(0, 16));
                c->set_source_timestamp_ms(rng());
                c->set_source_signature(key + key);
                c->set_source_peer_id(pick());
                c->set_source_signed_endpoint(pick());
            }
        }
        ASSERT_EQ(announce_reply_json(reply), to_json(reply)) << round;
    }
}

}  // namespace
}  // namespace p2pls::tracker
