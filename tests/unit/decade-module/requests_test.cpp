#include "decade-module/core/requests.hpp"

#include <gtest/gtest.h>

#include "p2pls/decade.pb.h"

namespace p2pls::decade {
namespace {

std::string header(const RequestSpec& spec, std::string_view name) {
    for (const auto& [k, v] : spec.headers) {
        if (k == name) {
            return v;
        }
    }
    return {};
}

TEST(Requests, ObjectCallsHaveTheirMethodTargetAndToken) {
    auto get = make_get("alice", "chan-7", "TOK");
    ASSERT_TRUE(get);
    EXPECT_EQ(get->method, "GET");
    EXPECT_EQ(get->target, "/v1/lockers/alice/objects/chan-7");
    EXPECT_EQ(header(*get, "Authorization"), "Bearer TOK");

    auto put = make_put("alice", "chan-7", "bytes", 30, "TOK");
    ASSERT_TRUE(put);
    EXPECT_EQ(put->method, "PUT");
    EXPECT_EQ(put->body, "bytes");
    EXPECT_EQ(header(*put, "X-Decade-TTL"), "30");

    auto del = make_delete("alice", "chan-7", "TOK");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->method, "DELETE");

    auto refresh = make_refresh("alice", "chan-7", 600, "TOK");
    ASSERT_TRUE(refresh);
    EXPECT_EQ(refresh->method, "PATCH");
    EXPECT_EQ(refresh->target, "/v1/lockers/alice/objects/chan-7");
    EXPECT_EQ(header(*refresh, "X-Decade-TTL"), "600");
    EXPECT_TRUE(refresh->body.empty());

    auto status = make_status("alice", "TOK");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->target, "/v1/lockers/alice/status");
    EXPECT_EQ(header(*status, "Accept"), "application/x-protobuf");
}

TEST(Requests, InvalidNamesNeverReachAUrl) {
    EXPECT_FALSE(make_get("alice", "../etc", "T"));
    EXPECT_FALSE(make_get("al/ice", "x", "T"));
    EXPECT_FALSE(make_put("alice", "a b", "", 1, "T"));
    EXPECT_FALSE(make_delete("alice", "", "T"));
    EXPECT_FALSE(make_refresh("alice", "a%2F", 1, "T"));
    EXPECT_FALSE(make_status("a?b", "T"));
    decade_api::RemoteGetOp op;
    op.set_locker("alice");
    op.set_remote_locker("bob");
    op.set_remote_name("x/y");
    EXPECT_FALSE(make_remote_get(op));
}

TEST(Requests, BatchAndRemoteGetCarryProtobufBodies) {
    decade_api::BatchRequest batch;
    auto* g = batch.add_ops()->mutable_get();
    g->set_locker("bob");
    g->set_name("chan-3");
    const auto spec = make_batch(batch);
    EXPECT_EQ(spec.target, "/v1/batch");
    decade_api::BatchRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(spec.body));
    EXPECT_EQ(parsed.ops(0).get().name(), "chan-3");

    decade_api::RemoteGetOp op;
    op.set_locker("alice");
    op.set_token("T");
    op.set_remote_server("http://127.0.0.1:9");
    op.set_remote_locker("bob");
    op.set_remote_name("chan-3");
    const auto rg = make_remote_get(op);
    ASSERT_TRUE(rg);
    EXPECT_EQ(rg->target, "/v1/lockers/alice/remote-get");
    decade_api::RemoteGetOp back;
    ASSERT_TRUE(back.ParseFromString(rg->body));
    EXPECT_EQ(back.remote_name(), "chan-3");
}

}  // namespace
}  // namespace p2pls::decade
