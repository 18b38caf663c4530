// The DECADE API as a pure function: every route with good and bad input, the batch and
// Remote Get continuations, and the egress charges — no socket.
#include "decade-server/core/api.hpp"

#include <gtest/gtest.h>

#include "common/core/proto_json.hpp"
#include "decade-module/core/requests.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/client_address.hpp"
#include "decade-server/store/memory_store.hpp"
#include "p2pls/decade.pb.h"
#include "p2pls/http.pb.h"

namespace p2pls::decade_server {
namespace {

using decade::Op;
using decade::op_bit;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr std::string_view kSelf = "http://127.0.0.1:8300";
constexpr std::string_view kPeer = "http://10.0.0.2:8300";

decade::LockerSecret secret_of(unsigned char fill) {
    decade::LockerSecret s;
    s.fill(fill);
    return s;
}

// The claims of token() below, for a test that changes one of them before minting.
decade::TokenClaims claims(std::string_view locker, std::uint8_t ops,
                           UnixSeconds expiry = kNow + 3600, std::string prefix = "o-") {
    return {.locker = std::string(locker),
            .ops = ops,
            .prefix = std::move(prefix),
            .seq_first = 0,
            .seq_last = 99,
            .not_before_s = kNow - 1,
            .expiry_s = expiry,
            .byte_budget = 0,
            .token_id = 7,
            .grantee = ""};
}

std::string mint(const decade::TokenClaims& c) {
    return decade::generate_token(secret_of(c.locker == "alice" ? 1 : 2), c).value();
}

std::string token(std::string_view locker, std::uint8_t ops, UnixSeconds expiry = kNow + 3600,
                  std::string prefix = "o-") {
    return mint(claims(locker, ops, expiry, std::move(prefix)));
}

struct Api {
    Api() : core(server_config(), store) {
        EXPECT_TRUE(core.add_locker({"alice", secret_of(1), 10'000, 1}));
        EXPECT_TRUE(core.add_locker({"bob", secret_of(2), 10'000, 3}));
        config.operator_key = "operator-key";
        config.max_batch_ops = 8;
        config.max_batch_remote_gets = 2;
        config.max_batch_response_bytes = 100;
        config.random_bytes = [this](unsigned char* out, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) {
                out[i] = static_cast<unsigned char>(next_random++);
            }
        };
    }

    static ServerConfig server_config() {
        ServerConfig c;
        c.object_charge_bytes = 1;  // quotas of 10,000 hold this file's objects
        c.capacity_bytes = 100'000;
        c.max_object_bytes = 800;
        c.default_ttl_s = 60;
        c.max_ttl_s = 3600;
        c.token_skew_s = 0;
        c.peer_servers = {std::string(kPeer)};
        c.self_urls = {std::string(kSelf)};
        return c;
    }

    ApiStep step(std::string_view method, std::string_view target, std::string body = {},
                 std::string_view bearer = {}) {
        auth = bearer.empty() ? std::string() : "Bearer " + std::string(bearer);
        ApiRequest r;
        r.method = method;
        r.target = target;
        r.body = std::move(body);
        r.authorization = auth;
        r.content_type = content_type;
        r.accept = accept;
        r.ttl = ttl;
        r.range = range;
        r.remote_address = "192.0.2.7";
        return handle_request(core, config, std::move(r), now);
    }
    // A request that must complete without a fetch.
    ApiResponse call(std::string_view method, std::string_view target, std::string body = {},
                     std::string_view bearer = {}) {
        ApiStep s = step(method, target, std::move(body), bearer);
        EXPECT_TRUE(std::holds_alternative<ApiResponse>(s)) << method << " " << target;
        return std::holds_alternative<ApiResponse>(s) ? std::get<ApiResponse>(std::move(s))
                                                      : ApiResponse{};
    }

    MemoryStore store;
    ServerCore core;
    ApiConfig config;
    UnixSeconds now = kNow;
    std::string auth;
    std::string content_type;
    std::string accept;
    std::string ttl;
    std::string range;
    unsigned next_random = 0;
};

// The error code of an error response, checking that it is an ErrorBody with the status
// the shared table gives that code.
std::string error_of(const ApiResponse& r) {
    EXPECT_EQ(r.content_type, "application/json");
    http_api::ErrorBody body;
    EXPECT_EQ(parse_json(r.body, body), std::nullopt) << r.body;
    const auto code = http_errc_from_wire(body.error());
    EXPECT_TRUE(code.has_value()) << body.error();
    if (code) {
        EXPECT_EQ(http_status(*code), r.status) << body.error();
    }
    EXPECT_FALSE(body.detail().empty()) << body.error();
    return body.error();
}

std::string object(std::string_view locker, std::string_view name) {
    return decade::object_target(locker, name);
}

decade_api::RemoteGetOp remote_op(std::string_view server, std::string_view remote_locker,
                                  std::string_view remote_name, std::string name = "o-20") {
    decade_api::RemoteGetOp op;
    op.set_locker("alice");
    op.set_name(std::move(name));
    op.set_token(token("alice", op_bit(Op::put)));
    op.set_remote_server(std::string(server));
    op.set_remote_locker(std::string(remote_locker));
    op.set_remote_name(std::string(remote_name));
    op.set_remote_token(token(remote_locker, op_bit(Op::get)));
    return op;
}

TEST(DecadeApi, PutGetDeleteAnObject) {
    Api api;
    const std::string t = token("alice", decade::kAllOps);
    api.ttl = "30";
    const ApiResponse put = api.call("PUT", object("alice", "o-1"), "hello", t);
    EXPECT_EQ(put.status, 201u);
    EXPECT_TRUE(put.body.empty());
    EXPECT_TRUE(put.egress.empty());
    api.ttl.clear();

    const ApiResponse got = api.call("GET", object("alice", "o-1"), {}, t);
    ASSERT_EQ(got.status, 200u);
    EXPECT_EQ(got.content_type, "application/octet-stream");
    ASSERT_TRUE(got.shared_body);
    EXPECT_EQ(*got.shared_body, "hello");
    EXPECT_TRUE(got.body.empty());  // the stored bytes go out, not a copy
    ASSERT_EQ(got.egress.size(), 1u);
    EXPECT_EQ(got.egress[0].locker, "alice");
    EXPECT_EQ(got.egress[0].bytes, 5u);

    // The TTL header was honoured: gone after 30 s.
    api.now = kNow + 31;
    EXPECT_EQ(error_of(api.call("GET", object("alice", "o-1"), {}, t)), "not_found");
    api.now = kNow;

    EXPECT_EQ(api.call("DELETE", object("alice", "o-1"), {}, t).status, 204u);
    const ApiResponse gone = api.call("GET", object("alice", "o-1"), {}, t);
    EXPECT_EQ(gone.status, 404u);
    EXPECT_EQ(error_of(gone), "not_found");
    EXPECT_TRUE(gone.egress.empty());
    EXPECT_FALSE(gone.shared_body);
}

TEST(DecadeApi, PatchRefreshesAnObjectsTtlAndTakesNoBody) {
    Api api;
    const std::string t = token("alice", decade::kAllOps);
    api.ttl = "30";
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), "hello", t).status, 201u);
    api.now = kNow + 20;
    api.ttl = "60";
    EXPECT_EQ(api.call("PATCH", object("alice", "o-1"), {}, t).status, 204u);
    EXPECT_EQ(error_of(api.call("PATCH", object("alice", "o-1"), "bytes", t)), "bad_body");
    api.ttl = "soon";
    EXPECT_EQ(error_of(api.call("PATCH", object("alice", "o-1"), {}, t)), "bad_ttl");
    api.ttl.clear();
    EXPECT_EQ(error_of(api.call("PATCH", object("alice", "o-2"), {}, t)), "not_found");
    api.now = kNow + 75;  // past the first TTL, within the refreshed one
    EXPECT_EQ(api.call("GET", object("alice", "o-1"), {}, t).status, 200u);
    EXPECT_EQ(api.call("POST", object("alice", "o-1"), {}, t).status, 405u);
}

// A web seed or a download tool asks an object a range at a time: one range of bytes is
// answered 206 with its Content-Range, out of the bytes the store shares; a token's byte
// budget and the egress are charged for the part only.
TEST(DecadeApi, ARangeOfAnObjectIsAnsweredAndChargedByItsLength) {
    Api api;
    const std::string owner = token("alice", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), "0123456789", owner).status, 201u);
    auto c = claims("alice", op_bit(Op::get));
    c.byte_budget = 12;
    c.token_id = 9;
    const std::string budget12 = mint(c);

    api.range = "bytes=2-5";
    const ApiResponse part = api.call("GET", object("alice", "o-1"), {}, budget12);
    ASSERT_EQ(part.status, 206u);
    EXPECT_EQ(part.content_range, "bytes 2-5/10");
    ASSERT_TRUE(part.shared_body);
    EXPECT_EQ(part.shared_body->substr(part.part_offset, part.part_length), "2345");
    ASSERT_EQ(part.egress.size(), 1u);
    EXPECT_EQ(part.egress[0].bytes, 4u);

    api.range = "bytes=-3";
    const ApiResponse tail = api.call("GET", object("alice", "o-1"), {}, budget12);
    ASSERT_EQ(tail.status, 206u);
    EXPECT_EQ(tail.shared_body->substr(tail.part_offset, tail.part_length), "789");

    // 4 + 3 of the 12 bytes are spent: 5 are left, so a part of 5 goes and then the whole
    // object (10) is over the budget.
    api.range = "bytes=0-4";
    EXPECT_EQ(api.call("GET", object("alice", "o-1"), {}, budget12).status, 206u);
    api.range.clear();
    EXPECT_EQ(api.call("GET", object("alice", "o-1"), {}, budget12).status, 403u);

    // Past the end: 416 with the size; a range the server does not take: the whole.
    api.range = "bytes=10-";
    const ApiResponse none = api.call("GET", object("alice", "o-1"), {}, owner);
    EXPECT_EQ(error_of(none), "range_not_satisfiable");
    EXPECT_EQ(none.content_range, "bytes */10");
    EXPECT_TRUE(none.egress.empty());
    api.range = "bytes=0-1,4-5";
    const ApiResponse whole = api.call("GET", object("alice", "o-1"), {}, owner);
    EXPECT_EQ(whole.status, 200u);
    EXPECT_TRUE(whole.content_range.empty());
    EXPECT_EQ(whole.part_length, 10u);
    // A range of an object that is not there is a 404, as without one.
    api.range = "bytes=0-1";
    EXPECT_EQ(error_of(api.call("GET", object("alice", "o-9"), {}, owner)), "not_found");
}

// A web seed URL carries its token in the path: it reads as a GET with that token, and
// only reads.
TEST(DecadeApi, AWebSeedPathReadsWithTheTokenItCarries) {
    Api api;
    const std::string owner = token("alice", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), "0123456789", owner).status, 201u);
    const std::string reader = token("alice", op_bit(Op::get));
    api.range = "bytes=8-";
    const ApiResponse part = api.call("GET", "/v1/seed/" + reader + "/alice/o-1");
    ASSERT_EQ(part.status, 206u);
    EXPECT_EQ(part.shared_body->substr(part.part_offset, part.part_length), "89");
    api.range.clear();
    EXPECT_EQ(api.call("GET", "/v1/seed/" + reader + "/alice/o-1").status, 200u);
    EXPECT_EQ(error_of(api.call("GET", "/v1/seed/garbage/alice/o-1")), "token_malformed");
    EXPECT_EQ(api.call("GET", "/v1/seed/" + token("bob", decade::kAllOps) + "/alice/o-1").status,
              403u);
    EXPECT_EQ(api.call("PUT", "/v1/seed/" + owner + "/alice/o-1", "x").status, 405u);
    EXPECT_EQ(api.call("GET", "/v1/seed/" + reader + "/alice").status, 404u);
}

TEST(DecadeApi, AReadMayCarryItsTokenInTheUrl) {
    Api api;
    const std::string t = token("alice", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), "hello", t).status, 201u);
    const ApiResponse got = api.call("GET", object("alice", "o-1") + "?token=" + t);
    ASSERT_EQ(got.status, 200u) << got.body;
    ASSERT_TRUE(got.shared_body);
    EXPECT_EQ(*got.shared_body, "hello");
    // The URL's token is checked like the header's: a forged or foreign one is refused.
    std::string forged = t;
    forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_EQ(api.call("GET", object("alice", "o-1") + "?token=" + forged).status, 401u);
    EXPECT_EQ(
        api.call("GET", object("alice", "o-1") + "?token=" + token("bob", decade::kAllOps)).status,
        403u);
    // Writes take the header only.
    EXPECT_EQ(api.call("PUT", object("alice", "o-2") + "?token=" + t, "x").status, 401u);
    EXPECT_EQ(api.call("DELETE", object("alice", "o-1") + "?token=" + t).status, 401u);
    EXPECT_EQ(api.call("GET", object("alice", "o-1"), {}, t).status, 200u);
}

TEST(DecadeApi, ObjectRequestsRefusedAndNoBytesLeak) {
    Api api;
    const std::string t = token("alice", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), "secret!", t).status, 201u);
    const std::string expired = token("alice", decade::kAllOps, kNow - 1);
    const std::string get_only = token("alice", op_bit(Op::get));
    struct Case {
        const char* what;
        std::string method;
        std::string target;
        std::string token;
        std::string body;
        std::string ttl;
        unsigned status;
        std::string error;
    };
    const Case cases[] = {
        {"no token", "GET", object("alice", "o-1"), "", "", "", 401, "token_malformed"},
        {"garbage token", "GET", object("alice", "o-1"), "not-a-token", "", "", 401,
         "token_malformed"},
        {"expired token", "GET", object("alice", "o-1"), expired, "", "", 401, "token_expired"},
        {"unknown locker", "GET", object("nobody", "o-1"), t, "", "", 403, "token_wrong_locker"},
        {"other's locker", "GET", object("bob", "o-1"), t, "", "", 403, "token_wrong_locker"},
        {"out of scope", "GET", object("alice", "x-1"), t, "", "", 403, "token_out_of_scope"},
        {"wrong op", "PUT", object("alice", "o-2"), get_only, "x", "", 403, "token_wrong_op"},
        {"oversized", "PUT", object("alice", "o-2"), t, std::string(801, 'x'), "", 413,
         "too_large"},
        {"ttl not a number", "PUT", object("alice", "o-2"), t, "x", "soon", 400, "bad_ttl"},
        {"ttl with junk", "PUT", object("alice", "o-2"), t, "x", "10s", 400, "bad_ttl"},
        {"ttl too long", "PUT", object("alice", "o-2"), t, "x", "3601", 400, "bad_ttl"},
        {"wrong method", "POST", object("alice", "o-1"), t, "", "", 405, "method_not_allowed"},
    };
    for (const auto& c : cases) {
        api.ttl = c.ttl;
        const ApiResponse r = api.call(c.method, c.target, c.body, c.token);
        EXPECT_EQ(r.status, c.status) << c.what;
        EXPECT_EQ(error_of(r), c.error) << c.what;
        EXPECT_EQ(r.body.find("secret!"), std::string::npos) << c.what;
        EXPECT_FALSE(r.shared_body) << c.what;
        EXPECT_TRUE(r.egress.empty()) << c.what;
    }
    // None of the refused puts stored anything.
    EXPECT_EQ(api.core.locker_info("alice")->objects, 1u);
}

TEST(DecadeApi, RoutesAndMethods) {
    Api api;
    for (const char* target :
         {"/", "/v2/batch", "/v1", "/v1/objects", "/v1/lockers/a/b/c/d/e",
          "/v1/lockers/alice/objects", "/v1/lockers/alice/nothing", "/metrics/x"}) {
        const ApiResponse r = api.call("GET", target);
        EXPECT_EQ(r.status, 404u) << target;
        EXPECT_EQ(error_of(r), "no_route") << target;
    }
    struct Case {
        const char* method;
        const char* target;
    };
    for (const Case c :
         {Case{"POST", "/metrics"}, Case{"GET", "/v1/batch"}, Case{"PUT", "/v1/lockers"},
          Case{"POST", "/v1/lockers/alice/status"}, Case{"GET", "/v1/lockers/alice/remote-get"},
          Case{"BREW", "/v1/lockers/alice/objects/o-1"}}) {
        const ApiResponse r = api.call(c.method, c.target);
        EXPECT_EQ(r.status, 405u) << c.method << " " << c.target;
        EXPECT_EQ(error_of(r), "method_not_allowed") << c.method << " " << c.target;
    }
}

TEST(DecadeApi, StatusAsJsonOrProtobuf) {
    Api api;
    const std::string t = token("alice", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), "abc", t).status, 201u);
    const ApiResponse json = api.call("GET", "/v1/lockers/alice/status", {}, t);
    ASSERT_EQ(json.status, 200u);
    EXPECT_EQ(json.content_type, "application/json");
    decade_api::LockerStatus status;
    ASSERT_EQ(parse_json(json.body, status), std::nullopt) << json.body;
    EXPECT_EQ(status.locker(), "alice");
    EXPECT_EQ(status.bytes_used(), 3u + 1);  // the bytes and the object's charge
    ASSERT_EQ(status.objects_size(), 1);
    EXPECT_EQ(status.objects(0).name(), "o-1");

    api.accept = std::string(decade::kProtobufType);
    const ApiResponse proto = api.call("GET", "/v1/lockers/alice/status", {}, t);
    ASSERT_EQ(proto.status, 200u);
    EXPECT_EQ(proto.content_type, decade::kProtobufType);
    decade_api::LockerStatus parsed;
    ASSERT_TRUE(parsed.ParseFromString(proto.body));
    EXPECT_EQ(parsed.bytes_used(), 3u + 1);

    const ApiResponse refused =
        api.call("GET", "/v1/lockers/alice/status", {}, token("alice", op_bit(Op::get)));
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(error_of(refused), "token_wrong_op");
}

TEST(DecadeApi, RegisterNeedsTheOperatorKeyAndAWellFormedBody) {
    Api api;
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "{}")), "operator_key_required");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "{}", "operator-kez")),
              "operator_key_required");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "{}", "operator-key-longer")),
              "operator_key_required");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "{\"quota\":1}", "operator-key")),
              "bad_json");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "{\"quota_bytes\":\"x\"}", "operator-key")),
              "bad_json");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "{\"quota_bytes\":100001}", "operator-key")),
              "bad_request");  // above the server's capacity

    api.next_random = 0;
    const ApiResponse made =
        api.call("POST", "/v1/lockers", "{\"quota_bytes\":500}", "operator-key");
    ASSERT_EQ(made.status, 201u) << made.body;
    EXPECT_EQ(made.content_type, "application/json");
    decade_api::RegisterLockerResponse reply;
    ASSERT_EQ(parse_json(made.body, reply), std::nullopt);
    // The id and secret come from the injected randomness: 9 bytes for the id, then 32.
    EXPECT_EQ(reply.locker(), "l-000102030405060708");
    ASSERT_EQ(reply.secret().size(), 32u);
    EXPECT_EQ(static_cast<unsigned char>(reply.secret()[0]), 9u);
    EXPECT_EQ(api.core.locker_info(reply.locker())->record.quota_bytes, 500u);

    // Protobuf in, protobuf out; a body that is not the message is refused.
    api.content_type = std::string(decade::kProtobufType);
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers", "\xff\xff\xff", "operator-key")),
              "bad_body");
    decade_api::RegisterLockerRequest req;
    req.set_bandwidth_share(5);
    const ApiResponse proto =
        api.call("POST", "/v1/lockers", req.SerializeAsString(), "operator-key");
    ASSERT_EQ(proto.status, 201u);
    EXPECT_EQ(proto.content_type, decade::kProtobufType);
    ASSERT_TRUE(reply.ParseFromString(proto.body));
    EXPECT_EQ(api.core.bandwidth_share(reply.locker()), 5u);

    // dev-open registers without a key.
    api.config.dev_open = true;
    api.content_type.clear();
    EXPECT_EQ(api.call("POST", "/v1/lockers", {}).status, 201u);
}

TEST(DecadeApi, RemoteGetFromItselfLinksAndChargesTheAsker) {
    Api api;
    ASSERT_EQ(api.call("PUT", object("bob", "o-5"), "shared", token("bob", decade::kAllOps)).status,
              201u);
    const auto op = remote_op(kSelf, "bob", "o-5");
    const ApiResponse r = api.call("POST", "/v1/lockers/alice/remote-get", to_json(op));
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_TRUE(r.shared_body);
    EXPECT_EQ(*r.shared_body, "shared");
    ASSERT_EQ(r.egress.size(), 1u);
    EXPECT_EQ(r.egress[0].locker, "alice");
    EXPECT_EQ(api.core.blob_count(), 1u);  // linked, not copied

    // The op's token may come from the Authorization header instead.
    auto no_token = remote_op(kSelf, "bob", "o-5", "o-21");
    no_token.clear_token();
    no_token.clear_locker();  // and the locker from the path
    api.content_type = std::string(decade::kProtobufType);
    EXPECT_EQ(api.call("POST", "/v1/lockers/alice/remote-get", no_token.SerializeAsString(),
                       token("alice", op_bit(Op::put)))
                  .status,
              200u);
    EXPECT_EQ(api.core.locker_info("alice")->objects, 2u);
}

TEST(DecadeApi, RemoteGetRefusals) {
    Api api;
    ASSERT_EQ(api.call("PUT", object("bob", "o-5"), "shared", token("bob", decade::kAllOps)).status,
              201u);
    auto op = remote_op(kSelf, "bob", "o-5");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/bob/remote-get", to_json(op))), "bad_request");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/alice/remote-get", "{\"nope\":1}")),
              "bad_json");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/alice/remote-get", "")), "bad_json");
    api.content_type = std::string(decade::kProtobufType);
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/alice/remote-get", "\x0a\xff")), "bad_body");
    api.content_type.clear();

    auto bad_remote_token = op;
    bad_remote_token.set_remote_token(token("bob", op_bit(Op::get), kNow - 1));
    const ApiResponse expired =
        api.call("POST", "/v1/lockers/alice/remote-get", to_json(bad_remote_token));
    EXPECT_EQ(expired.status, 401u);
    EXPECT_EQ(error_of(expired), "remote_token_expired");

    auto no_put = op;
    no_put.set_token(token("alice", op_bit(Op::get)));
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/alice/remote-get", to_json(no_put))),
              "token_wrong_op");

    auto stranger = remote_op("http://10.9.9.9:1", "bob", "o-5");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/alice/remote-get", to_json(stranger))),
              "remote_not_allowed");
    auto missing = remote_op(kSelf, "bob", "o-6");
    EXPECT_EQ(error_of(api.call("POST", "/v1/lockers/alice/remote-get", to_json(missing))),
              "not_found");
    EXPECT_EQ(api.core.locker_info("alice")->objects, 0u);
}

TEST(DecadeApi, RemoteGetFromAnotherServerIsAFetchThenResume) {
    Api api;
    const auto op = remote_op(kPeer, "carol", "o-9");
    ApiStep s = api.step("POST", "/v1/lockers/alice/remote-get", to_json(op));
    ASSERT_TRUE(std::holds_alternative<FetchAndResume>(s));
    auto& pending = std::get<FetchAndResume>(s);
    EXPECT_EQ(pending.fetch.url, std::string(kPeer) + "/v1/lockers/carol/objects/o-9");
    EXPECT_EQ(pending.fetch.token, op.remote_token());
    EXPECT_EQ(pending.fetch.max_bytes, 800u);

    api.now = kNow + 2;
    s = resume(api.core, api.config, std::move(pending), {200, "fetched", ""}, api.now);
    ASSERT_TRUE(std::holds_alternative<ApiResponse>(s));
    const auto& done = std::get<ApiResponse>(s);
    ASSERT_EQ(done.status, 200u);
    EXPECT_EQ(*done.shared_body, "fetched");
    ASSERT_EQ(done.egress.size(), 1u);
    EXPECT_EQ(done.egress[0].locker, "alice");
    EXPECT_EQ(done.egress[0].bytes, 7u);

    // What the remote said decides the answer (for an object not fetched before).
    const auto other = remote_op(kPeer, "carol", "o-10");
    struct Case {
        FetchOutcome fetched;
        unsigned status;
        const char* error;
    };
    for (const auto& c :
         {Case{{404, "", ""}, 404, "not_found"}, Case{{401, "", ""}, 403, "remote_refused"},
          Case{{503, "", ""}, 503, "remote_busy"}, Case{{500, "", ""}, 502, "remote_failed"},
          Case{{0, "", "connect refused"}, 502, "remote_failed"},
          Case{{200, std::string(801, 'x'), ""}, 502, "remote_failed"}}) {
        ApiStep again = api.step("POST", "/v1/lockers/alice/remote-get", to_json(other));
        ASSERT_TRUE(std::holds_alternative<FetchAndResume>(again));
        again = resume(api.core, api.config, std::get<FetchAndResume>(std::move(again)), c.fetched,
                       api.now);
        const auto& r = std::get<ApiResponse>(again);
        EXPECT_EQ(r.status, c.status) << c.error;
        EXPECT_EQ(error_of(r), c.error);
        EXPECT_TRUE(r.egress.empty());
    }
    // Resuming nothing is an error, not a crash.
    EXPECT_EQ(std::get<ApiResponse>(resume(api.core, api.config, {}, {}, api.now)).status, 400u);
}

TEST(DecadeApi, ACopyFromAnotherServerIsFetchedOncePerRemoteToken) {
    Api api;
    auto fetch_and_store = [&](const decade_api::RemoteGetOp& op) {
        ApiStep s = api.step("POST", "/v1/lockers/alice/remote-get", to_json(op));
        if (!std::holds_alternative<FetchAndResume>(s)) {
            return std::string("linked");
        }
        s = resume(api.core, api.config, std::get<FetchAndResume>(std::move(s)),
                   {200, "copied", ""}, api.now);
        return "fetched " + std::to_string(std::get<ApiResponse>(s).status);
    };
    const auto first = remote_op(kPeer, "carol", "o-9", "o-20");
    EXPECT_EQ(fetch_and_store(first), "fetched 200");

    // Another asker's name, the same remote object and the same remote token: linked, and
    // charged to the asker as any Remote Get. One blob for both.
    const auto same = remote_op(kPeer, "carol", "o-9", "o-21");
    const ApiResponse linked = api.call("POST", "/v1/lockers/alice/remote-get", to_json(same));
    ASSERT_EQ(linked.status, 200u) << linked.body;
    EXPECT_EQ(*linked.shared_body, "copied");
    ASSERT_EQ(linked.egress.size(), 1u);
    EXPECT_EQ(api.core.blob_count(), 1u);
    EXPECT_EQ(api.core.locker_info("alice")->objects, 2u);

    // Any other token is the other server's to check: fetched again.
    auto new_token = remote_op(kPeer, "carol", "o-9", "o-22");
    new_token.set_remote_token(token("carol", op_bit(Op::get), kNow + 1800));
    EXPECT_EQ(fetch_and_store(new_token), "fetched 200");
    // So is another remote object, or the same one on another server.
    EXPECT_EQ(fetch_and_store(remote_op(kPeer, "carol", "o-8", "o-23")), "fetched 200");

    // The asker's own put token still decides: a bad one is refused, not linked.
    auto bad_put = remote_op(kPeer, "carol", "o-9", "o-24");
    bad_put.set_token(token("bob", op_bit(Op::put)));
    EXPECT_EQ(api.call("POST", "/v1/lockers/alice/remote-get", to_json(bad_put)).status, 403u);

    // Once the remote token has expired, the copy is no longer the asker's to link.
    auto short_lived = remote_op(kPeer, "carol", "o-7", "o-25");
    short_lived.set_remote_token(token("carol", op_bit(Op::get), kNow + 60));
    EXPECT_EQ(fetch_and_store(short_lived), "fetched 200");
    short_lived.set_name("o-26");
    EXPECT_EQ(fetch_and_store(short_lived), "linked");
    api.now = kNow + 60;
    short_lived.set_name("o-27");
    EXPECT_EQ(fetch_and_store(short_lived), "fetched 200");
}

decade_api::BatchResponse batch_of(const ApiResponse& r) {
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, decade::kProtobufType);
    decade_api::BatchResponse out;
    EXPECT_TRUE(out.ParseFromString(r.body));
    return out;
}

TEST(DecadeApi, BatchRunsMixedOpsInOrder) {
    Api api;
    const std::string a = token("alice", decade::kAllOps);
    const std::string b = token("bob", decade::kAllOps);
    decade_api::BatchRequest batch;
    auto* put = batch.add_ops()->mutable_put();
    put->set_locker("alice");
    put->set_name("o-1");
    put->set_data("one");
    put->set_token(a);
    auto* put_b = batch.add_ops()->mutable_put();
    put_b->set_locker("bob");
    put_b->set_name("o-2");
    put_b->set_data("bobs");
    put_b->set_token(b);
    auto* get = batch.add_ops()->mutable_get();
    get->set_locker("alice");
    get->set_name("o-1");
    get->set_token(a);
    auto* get_b = batch.add_ops()->mutable_get();
    get_b->set_locker("bob");
    get_b->set_name("o-2");
    get_b->set_token(b);
    auto* refused = batch.add_ops()->mutable_get();
    refused->set_locker("bob");
    refused->set_name("o-2");
    refused->set_token(a);
    auto* status = batch.add_ops()->mutable_status();
    status->set_locker("alice");
    status->set_token(a);
    batch.add_ops();  // empty
    auto* del = batch.add_ops()->mutable_del();
    del->set_locker("alice");
    del->set_name("o-1");
    del->set_token(a);

    const ApiResponse r = api.call("POST", "/v1/batch", batch.SerializeAsString());
    const auto out = batch_of(r);
    ASSERT_EQ(out.results_size(), 8);
    EXPECT_EQ(out.results(0).status(), 201u);
    EXPECT_EQ(out.results(1).status(), 201u);
    EXPECT_EQ(out.results(2).status(), 200u);
    EXPECT_EQ(out.results(2).data(), "one");
    EXPECT_EQ(out.results(3).data(), "bobs");
    EXPECT_EQ(out.results(4).status(), 403u);
    EXPECT_EQ(out.results(4).error(), "token_wrong_locker");
    EXPECT_TRUE(out.results(4).data().empty());
    EXPECT_EQ(out.results(5).status(), 200u);
    EXPECT_EQ(out.results(5).locker_status().bytes_used(), 3u + 1);
    EXPECT_EQ(out.results(6).status(), 400u);
    EXPECT_EQ(out.results(6).error(), "bad_request");
    EXPECT_EQ(out.results(7).status(), 204u);
    // Object bytes are charged per locker, in locker order.
    ASSERT_EQ(r.egress.size(), 2u);
    EXPECT_EQ(r.egress[0].locker, "alice");
    EXPECT_EQ(r.egress[0].bytes, 3u);
    EXPECT_EQ(r.egress[1].locker, "bob");
    EXPECT_EQ(r.egress[1].bytes, 4u);
}

TEST(DecadeApi, BatchLimits) {
    Api api;
    EXPECT_EQ(error_of(api.call("POST", "/v1/batch", "\x0a\x05xx")), "bad_body");

    decade_api::BatchRequest many;
    for (int i = 0; i < 9; ++i) {
        many.add_ops()->mutable_status()->set_locker("alice");
    }
    const ApiResponse too_many = api.call("POST", "/v1/batch", many.SerializeAsString());
    EXPECT_EQ(too_many.status, 400u);
    EXPECT_EQ(error_of(too_many), "batch_too_large");

    decade_api::BatchRequest remotes;
    for (int i = 0; i < 3; ++i) {
        *remotes.add_ops()->mutable_remote_get() = remote_op(kPeer, "carol", "o-9");
    }
    EXPECT_EQ(error_of(api.call("POST", "/v1/batch", remotes.SerializeAsString())),
              "batch_too_large");

    // Past the response byte cap (100), later objects are refused, earlier ones kept.
    const std::string a = token("alice", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("alice", "o-1"), std::string(60, 'x'), a).status, 201u);
    decade_api::BatchRequest big;
    for (int i = 0; i < 3; ++i) {
        auto* g = big.add_ops()->mutable_get();
        g->set_locker("alice");
        g->set_name("o-1");
        g->set_token(a);
    }
    const ApiResponse capped = api.call("POST", "/v1/batch", big.SerializeAsString());
    const auto out = batch_of(capped);
    ASSERT_EQ(out.results_size(), 3);
    EXPECT_EQ(out.results(0).status(), 200u);
    EXPECT_EQ(out.results(1).status(), 413u);
    EXPECT_EQ(out.results(1).error(), "batch_response_too_large");
    EXPECT_TRUE(out.results(1).data().empty());
    EXPECT_EQ(out.results(2).status(), 413u);
    ASSERT_EQ(capped.egress.size(), 1u);
    EXPECT_EQ(capped.egress[0].bytes, 60u);  // only what is sent is charged
}

TEST(DecadeApi, BatchSuspendsOnEachRemoteFetchAndKeepsOrder) {
    Api api;
    api.config.max_batch_remote_gets = 3;
    const std::string b = token("bob", decade::kAllOps);
    ASSERT_EQ(api.call("PUT", object("bob", "o-5"), "local", b).status, 201u);
    decade_api::BatchRequest batch;
    *batch.add_ops()->mutable_remote_get() = remote_op(kPeer, "carol", "o-9", "o-30");
    *batch.add_ops()->mutable_remote_get() = remote_op(kSelf, "bob", "o-5", "o-31");
    *batch.add_ops()->mutable_remote_get() = remote_op(kPeer, "carol", "o-10", "o-32");

    ApiStep s = api.step("POST", "/v1/batch", batch.SerializeAsString());
    ASSERT_TRUE(std::holds_alternative<FetchAndResume>(s));
    EXPECT_EQ(std::get<FetchAndResume>(s).fetch.url,
              std::string(kPeer) + "/v1/lockers/carol/objects/o-9");
    s = resume(api.core, api.config, std::get<FetchAndResume>(std::move(s)), {200, "far", ""},
               api.now);
    // The linked op ran without a fetch; the next fetch is the third op's.
    ASSERT_TRUE(std::holds_alternative<FetchAndResume>(s)) << std::get<ApiResponse>(s).body;
    EXPECT_EQ(std::get<FetchAndResume>(s).fetch.url,
              std::string(kPeer) + "/v1/lockers/carol/objects/o-10");
    s = resume(api.core, api.config, std::get<FetchAndResume>(std::move(s)), {404, "", ""},
               api.now);
    ASSERT_TRUE(std::holds_alternative<ApiResponse>(s));
    const auto& r = std::get<ApiResponse>(s);
    const auto out = batch_of(r);
    ASSERT_EQ(out.results_size(), 3);
    EXPECT_EQ(out.results(0).data(), "far");
    EXPECT_EQ(out.results(1).data(), "local");
    EXPECT_EQ(out.results(2).status(), 404u);
    ASSERT_EQ(r.egress.size(), 1u);
    EXPECT_EQ(r.egress[0].locker, "alice");  // remote gets charge the asker's locker
    EXPECT_EQ(r.egress[0].bytes, 8u);
    EXPECT_EQ(api.core.locker_info("alice")->objects, 2u);
}

TEST(DecadeApi, MetricsIncludeTheAdaptersGauges) {
    Api api;
    api.config.refresh_metrics = [](MetricsRegistry& m) {
        m.gauge("decade_open_connections", "Open client connections").set(3);
    };
    (void)api.call("GET", object("alice", "o-1"), {}, "bad");
    const ApiResponse r = api.call("GET", "/metrics?x=1");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
    EXPECT_NE(r.body.find("decade_open_connections 3"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("decade_requests_total{op=\"get\",status=\"401\"} 1"), std::string::npos)
        << r.body;
}

// A token bound to 192.0.2.7 serves a GET from that address, whatever the caller says.
TEST(DecadeApi, GranteeIsThePeerAddressUnlessATrustedProxyNamesIt) {
    Api api;
    api.config.trusted_proxies = {"198.51.100.1"};
    auto c = claims("alice", decade::kAllOps);
    c.token_id = 8;
    c.grantee = "192.0.2.7";
    const std::string bound = mint(c);
    EXPECT_EQ(api.call("PUT", object("alice", "o-1"), "x", bound).status, 201u);
    const std::string target = object("alice", "o-1");
    const std::string auth = "Bearer " + bound;
    auto get_from = [&](std::string_view peer, std::string_view header) {
        ApiRequest r;
        r.method = "GET";
        r.target = target;
        r.authorization = auth;
        r.client = header;
        r.remote_address = peer;
        return std::get<ApiResponse>(handle_request(api.core, api.config, r, kNow));
    };
    struct Case {
        const char* what;
        std::string_view peer;
        std::string_view header;
        unsigned status;
    };
    for (const auto& k : {
             Case{"the grantee itself", "192.0.2.7", "", 200},
             Case{"the grantee, whatever header it sends", "192.0.2.7", "someone-else", 200},
             Case{"a thief naming the grantee", "203.0.113.9", "192.0.2.7", 403},
             Case{"a thief naming nobody", "203.0.113.9", "", 403},
             Case{"the trusted proxy for the grantee", "198.51.100.1", "192.0.2.7", 200},
             Case{"the trusted proxy for another client", "198.51.100.1", "203.0.113.9", 403},
             Case{"the trusted proxy for itself", "198.51.100.1", "", 403},
             Case{"the trusted proxy with a non-address", "198.51.100.1", "peer-9", 400},
             Case{"the trusted proxy with a list", "198.51.100.1", "192.0.2.7, 10.0.0.1", 400},
         }) {
        const ApiResponse r = get_from(k.peer, k.header);
        EXPECT_EQ(r.status, k.status) << k.what;
        if (k.status == 403) {
            EXPECT_EQ(error_of(r), "token_wrong_grantee") << k.what;
        }
        if (k.status != 200) {
            EXPECT_EQ(r.shared_body, nullptr) << k.what;
        }
    }
}

TEST(DecadeApi, ClientAddressTrustsTheHeaderOnlyFromTrustedProxies) {
    const std::vector<std::string> proxies = {"10.0.0.1", "2001:db8::1"};
    EXPECT_EQ(*client_address("192.0.2.7", "", proxies), "192.0.2.7");
    EXPECT_EQ(*client_address("192.0.2.7", "10.9.9.9", proxies), "192.0.2.7");
    EXPECT_EQ(*client_address("10.0.0.1", "10.9.9.9", proxies), "10.9.9.9");
    EXPECT_EQ(*client_address("2001:db8::1", "2001:db8::77", proxies), "2001:db8::77");
    EXPECT_EQ(*client_address("10.0.0.1", "", proxies), "10.0.0.1");
    EXPECT_FALSE(client_address("10.0.0.1", "x", proxies).has_value());
    EXPECT_FALSE(client_address("10.0.0.1", std::string(46, '1'), proxies).has_value());
    EXPECT_EQ(client_address("10.0.0.1", "a b", proxies).error().status, 400u);
    // No proxies configured: the header never counts.
    EXPECT_EQ(*client_address("192.0.2.7", "10.9.9.9", {}), "192.0.2.7");
}

}  // namespace
}  // namespace p2pls::decade_server
