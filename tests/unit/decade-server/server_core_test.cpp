#include "decade-server/core/server_core.hpp"

#include <gtest/gtest.h>

#include "decade-module/core/token.hpp"
#include "decade-server/store/memory_store.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {
namespace {

using decade::Op;
using decade::op_bit;

constexpr UnixSeconds kNow = 1'700'000'000;

decade::LockerSecret secret_of(unsigned char fill) {
    decade::LockerSecret s;
    s.fill(fill);
    return s;
}

class ServerCoreTest : public ::testing::Test {
  protected:
    ServerCoreTest() : core_(config(), store_) {
        EXPECT_TRUE(core_.add_locker({"alice", secret_of(1), 1000, 1}));
        EXPECT_TRUE(core_.add_locker({"bob", secret_of(2), 1000, 1}));
    }

    // What each object costs the quota besides its bytes: small here, so that the byte
    // figures below stay readable (the default is kObjectChargeBytes).
    static constexpr std::uint64_t kCharge = 10;

    static ServerConfig config() {
        ServerConfig c;
        c.object_charge_bytes = kCharge;
        c.capacity_bytes = 1500;
        c.max_object_bytes = 800;
        c.default_ttl_s = 60;
        c.max_ttl_s = 3600;
        c.token_skew_s = 0;
        c.peer_servers = {"http://10.0.0.2:8300"};
        c.self_urls = {"http://127.0.0.1:8300/"};
        return c;
    }

    static std::string token(std::string_view locker, std::uint8_t ops, std::uint64_t budget = 0,
                             std::uint64_t id = 7, std::string prefix = "o-") {
        const auto secret = secret_of(locker == "alice" ? 1 : 2);
        decade::TokenClaims c{.locker = std::string(locker),
                              .ops = ops,
                              .prefix = std::move(prefix),
                              .seq_first = 0,
                              .seq_last = 99,
                              .not_before_s = kNow - 1,
                              .expiry_s = kNow + 3600,
                              .byte_budget = budget,
                              .token_id = id,
                              .grantee = ""};
        return *decade::generate_token(secret, c);
    }

    MemoryStore store_;
    ServerCore core_;
};

TEST_F(ServerCoreTest, PutGetDeleteStatus) {
    const std::string t = token("alice", decade::kAllOps);
    const Caller caller{t, "c1"};
    EXPECT_EQ(core_.put(caller, "alice", "o-1", "hello", std::nullopt, kNow).status, 201u);
    auto got = core_.get(caller, "alice", "o-1", kNow);
    ASSERT_EQ(got.status, 200u);
    EXPECT_EQ(*got.data, "hello");
    auto st = core_.status(caller, "alice", kNow);
    ASSERT_EQ(st.status, 200u);
    ASSERT_EQ(st.locker_status->objects_size(), 1);
    EXPECT_EQ(st.locker_status->objects(0).expiry_s(), kNow + 60);
    EXPECT_EQ(st.locker_status->bytes_used(), 5u + kCharge);
    EXPECT_EQ(st.locker_status->object_charge_bytes(), kCharge);
    EXPECT_EQ(st.locker_status->bytes_served(), 5u);
    EXPECT_EQ(st.locker_status->quota_bytes(), 1000u);
    EXPECT_EQ(st.locker_status->requests_by_token().at(7), 3u);
    EXPECT_EQ(core_.remove(caller, "alice", "o-1", kNow).status, 204u);
    EXPECT_EQ(core_.get(caller, "alice", "o-1", kNow).status, 404u);
    EXPECT_EQ(core_.remove(caller, "alice", "o-1", kNow).status, 404u);
    EXPECT_EQ(core_.blob_bytes(), 0u);
    EXPECT_EQ(store_.size(), 0u);
}

// An owner keeps an object past the server's largest TTL by refreshing it: each refresh
// sets a new expiry from now, within --max-ttl; only a put token for the name may.
TEST_F(ServerCoreTest, ARefreshedObjectOutlivesItsFirstTtl) {
    const std::string owner = token("alice", decade::kAllOps);
    ASSERT_EQ(core_.put({owner, ""}, "alice", "o-1", "hello", 100, kNow).status, 201u);
    EXPECT_EQ(core_.refresh({owner, ""}, "alice", "o-1", 1000, kNow + 90).status, 204u);
    EXPECT_EQ(core_.refresh({owner, ""}, "alice", "o-1", 2000, kNow + 1000).status, 204u);
    const auto got = core_.get({owner, ""}, "alice", "o-1", kNow + 2500);
    ASSERT_EQ(got.status, 200u);
    EXPECT_EQ(*got.data, "hello");
    const auto st = core_.status({owner, ""}, "alice", kNow + 2500);
    ASSERT_EQ(st.locker_status->objects_size(), 1);
    EXPECT_EQ(st.locker_status->objects(0).expiry_s(), kNow + 3000);
    EXPECT_EQ(core_.get({owner, ""}, "alice", "o-1", kNow + 3001).status, 404u);

    // Beyond the maximum; an object that has expired; a token that may only read; another
    // locker's token: refused, and the object keeps its expiry.
    ASSERT_EQ(core_.put({owner, ""}, "alice", "o-2", "x", 100, kNow).status, 201u);
    EXPECT_EQ(core_.refresh({owner, ""}, "alice", "o-2", 3601, kNow).status, 400u);
    EXPECT_EQ(core_.refresh({owner, ""}, "alice", "o-2", 50, kNow + 100).status, 404u);
    ASSERT_EQ(core_.put({owner, ""}, "alice", "o-3", "x", 100, kNow).status, 201u);
    const std::string reader = token("alice", op_bit(Op::get));
    EXPECT_EQ(core_.refresh({reader, ""}, "alice", "o-3", 1000, kNow).status, 403u);
    EXPECT_EQ(core_.refresh({token("bob", decade::kAllOps), ""}, "alice", "o-3", 1000, kNow).status,
              403u);
    EXPECT_EQ(core_.get({owner, ""}, "alice", "o-3", kNow + 101).status, 404u);
}

TEST_F(ServerCoreTest, BadTokensGetNoDataAndCannotProbeExistence) {
    const std::string good = token("alice", decade::kAllOps);
    ASSERT_EQ(core_.put({good, ""}, "alice", "o-1", "secret!", std::nullopt, kNow).status, 201u);
    const std::string wrong_locker = token("bob", decade::kAllOps);
    const std::string get_only = token("alice", op_bit(Op::get));
    struct Case {
        std::string token;
        std::string name;
        unsigned status;
    } cases[] = {
        {"", "o-1", 401},           {"garbage", "o-1", 401}, {good + "A", "o-1", 401},
        {wrong_locker, "o-1", 403}, {good, "o-100", 403},    {good, "x-1", 403},
        {wrong_locker, "o-2", 403}, {"", "o-2", 401},
    };
    for (const auto& c : cases) {
        const auto r = core_.get({c.token, ""}, "alice", c.name, kNow);
        EXPECT_EQ(r.status, c.status) << c.token << " " << c.name;
        EXPECT_EQ(r.data, nullptr);
        EXPECT_EQ(r.detail.find("secret!"), std::string::npos);
    }
    EXPECT_EQ(core_.put({get_only, ""}, "alice", "o-3", "x", std::nullopt, kNow).status, 403u);
    EXPECT_EQ(core_.remove({get_only, ""}, "alice", "o-1", kNow).status, 403u);
    EXPECT_EQ(core_.status({get_only, ""}, "alice", kNow).status, 403u);
    EXPECT_EQ(core_.status({good, ""}, "nobody", kNow).status, 403u);
    // Unknown locker in the token: indistinguishable from a forgery.
    EXPECT_EQ(core_.get({good, ""}, "alice", "o-1", kNow + 7200).error, "token_expired");
}

TEST_F(ServerCoreTest, QuotaAndCapacityGive507) {
    const std::string a = token("alice", decade::kAllOps);
    const std::string b = token("bob", decade::kAllOps);
    EXPECT_EQ(core_.put({a, ""}, "alice", "o-1", std::string(600, 'a'), std::nullopt, kNow).status,
              201u);
    const auto over = core_.put({a, ""}, "alice", "o-2", std::string(401, 'b'), std::nullopt, kNow);
    EXPECT_EQ(over.status, 507u);
    EXPECT_EQ(over.error, "quota_exceeded");
    // 600 + 10 used; 401 + 10 more would pass the quota of 1000.
    // Replacing an object counts only the difference.
    EXPECT_EQ(core_.put({a, ""}, "alice", "o-1", std::string(700, 'c'), std::nullopt, kNow).status,
              201u);
    // Server capacity 1500: bob's 700 fit, another 200 do not.
    EXPECT_EQ(core_.put({b, ""}, "bob", "o-1", std::string(700, 'd'), std::nullopt, kNow).status,
              201u);
    const auto full = core_.put({b, ""}, "bob", "o-2", std::string(200, 'e'), std::nullopt, kNow);
    EXPECT_EQ(full.status, 507u);
    EXPECT_EQ(full.error, "server_full");
    EXPECT_EQ(core_.put({a, ""}, "alice", "o-9", std::string(801, 'f'), std::nullopt, kNow).status,
              413u);
}

TEST_F(ServerCoreTest, SameBytesInManyLockersAreStoredOnce) {
    const std::string a = token("alice", decade::kAllOps);
    const std::string b = token("bob", decade::kAllOps);
    const std::string bytes(400, 'z');
    ASSERT_EQ(core_.put({a, ""}, "alice", "o-1", bytes, std::nullopt, kNow).status, 201u);
    ASSERT_EQ(core_.put({a, ""}, "alice", "o-2", bytes, std::nullopt, kNow).status, 201u);
    ASSERT_EQ(core_.put({b, ""}, "bob", "o-1", bytes, std::nullopt, kNow).status, 201u);
    EXPECT_EQ(core_.blob_bytes(), 400u);
    EXPECT_EQ(core_.blob_count(), 1u);
    EXPECT_EQ(core_.logical_bytes(), 1200u);
    EXPECT_EQ(core_.remove({a, ""}, "alice", "o-1", kNow).status, 204u);
    EXPECT_EQ(core_.remove({b, ""}, "bob", "o-1", kNow).status, 204u);
    EXPECT_EQ(store_.size(), 1u);
    EXPECT_EQ(core_.remove({a, ""}, "alice", "o-2", kNow).status, 204u);
    EXPECT_EQ(store_.size(), 0u);
    // Re-putting the same bytes under the same name keeps the blob alive in between.
    ASSERT_EQ(core_.put({a, ""}, "alice", "o-1", bytes, 10, kNow).status, 201u);
    ASSERT_EQ(core_.put({a, ""}, "alice", "o-1", bytes, 20, kNow).status, 201u);
    EXPECT_EQ(store_.size(), 1u);
    EXPECT_EQ(core_.locker_info("alice")->bytes_used, 400u + kCharge);
}

TEST_F(ServerCoreTest, TtlExpiresOnReadAndBySweepUnderVirtualClock) {
    const std::string a = token("alice", decade::kAllOps);
    ASSERT_EQ(core_.put({a, ""}, "alice", "o-1", "one", 10, kNow).status, 201u);
    ASSERT_EQ(core_.put({a, ""}, "alice", "o-2", "two", 20, kNow).status, 201u);
    EXPECT_EQ(core_.get({a, ""}, "alice", "o-1", kNow + 9).status, 200u);
    EXPECT_EQ(core_.get({a, ""}, "alice", "o-1", kNow + 10).status, 404u);  // before any sweep
    EXPECT_EQ(core_.sweep(kNow + 10), 1u);
    EXPECT_EQ(core_.blob_count(), 1u);
    EXPECT_EQ(core_.locker_info("alice")->bytes_used, 3u + kCharge);
    EXPECT_EQ(core_.sweep(kNow + 19), 0u);
    EXPECT_EQ(core_.sweep(kNow + 20), 1u);
    EXPECT_EQ(core_.blob_count(), 0u);
    EXPECT_EQ(core_.put({a, ""}, "alice", "o-3", "x", 3601, kNow).status, 400u);
}

TEST_F(ServerCoreTest, ByteBudgetIsEnforcedAcrossRequests) {
    const std::string owner = token("alice", decade::kAllOps, 0, 1);
    ASSERT_EQ(
        core_.put({owner, ""}, "alice", "o-1", std::string(100, 'a'), std::nullopt, kNow).status,
        201u);
    const std::string limited = token("alice", op_bit(Op::get), 250, 2);
    EXPECT_EQ(core_.get({limited, ""}, "alice", "o-1", kNow).status, 200u);
    EXPECT_EQ(core_.get({limited, ""}, "alice", "o-1", kNow).status, 200u);
    const auto third = core_.get({limited, ""}, "alice", "o-1", kNow);
    EXPECT_EQ(third.status, 403u);
    EXPECT_EQ(third.error, "token_budget_exhausted");
    EXPECT_EQ(third.data, nullptr);
    // Another token id has its own budget.
    const std::string other = token("alice", op_bit(Op::get), 250, 3);
    EXPECT_EQ(core_.get({other, ""}, "alice", "o-1", kNow).status, 200u);
}

TEST_F(ServerCoreTest, RemoteGetFromItselfLinksWithoutCopy) {
    const std::string b = token("bob", decade::kAllOps);
    ASSERT_EQ(core_.put({b, ""}, "bob", "o-5", "shared bytes", std::nullopt, kNow).status, 201u);
    decade_api::RemoteGetOp op;
    op.set_locker("alice");
    op.set_token(token("alice", op_bit(Op::put)));
    op.set_remote_server("http://127.0.0.1:8300");
    op.set_remote_locker("bob");
    op.set_remote_name("o-5");
    op.set_remote_token(token("bob", op_bit(Op::get)));
    auto step = core_.begin_remote_get({op.token(), ""}, op, kNow);
    ASSERT_TRUE(std::holds_alternative<OpResult>(step));
    const auto& r = std::get<OpResult>(step);
    ASSERT_EQ(r.status, 200u) << r.error;
    EXPECT_EQ(*r.data, "shared bytes");
    EXPECT_EQ(core_.blob_count(), 1u);
    EXPECT_EQ(core_.locker_info("alice")->objects, 1u);
    EXPECT_EQ(core_.locker_info("bob")->bytes_served, 12u);

    // A remote token for the wrong locker is refused and nothing is linked.
    op.set_name("o-6");
    op.set_remote_token(token("alice", op_bit(Op::get)));
    step = core_.begin_remote_get({op.token(), ""}, op, kNow);
    EXPECT_EQ(std::get<OpResult>(step).status, 403u);
    EXPECT_EQ(core_.locker_info("alice")->objects, 1u);
}

TEST_F(ServerCoreTest, RemoteGetElsewhereOnlyToConfiguredPeers) {
    decade_api::RemoteGetOp op;
    op.set_locker("alice");
    op.set_token(token("alice", op_bit(Op::put)));
    op.set_remote_server("http://10.0.0.2:8300/");
    op.set_remote_locker("carol");
    op.set_remote_name("o-9");
    op.set_remote_token("RT");
    auto step = core_.begin_remote_get({op.token(), ""}, op, kNow);
    ASSERT_TRUE(std::holds_alternative<RemoteFetch>(step));
    EXPECT_EQ(std::get<RemoteFetch>(step).url, "http://10.0.0.2:8300/v1/lockers/carol/objects/o-9");
    EXPECT_EQ(std::get<RemoteFetch>(step).token, "RT");

    const auto done = core_.finish_remote_get({op.token(), ""}, op, {200, "fetched", ""}, kNow);
    ASSERT_EQ(done.status, 200u);
    EXPECT_EQ(*done.data, "fetched");
    EXPECT_EQ(core_.locker_info("alice")->bytes_used, 7u + kCharge);
    EXPECT_EQ(core_.finish_remote_get({op.token(), ""}, op, {403, "", ""}, kNow).status, 403u);
    EXPECT_EQ(core_.finish_remote_get({op.token(), ""}, op, {0, "", "timeout"}, kNow).status, 502u);

    for (const char* server : {"http://10.0.0.3:8300", "https://10.0.0.2:8300", "file:///etc",
                               "http://user@10.0.0.2:8300", ""}) {
        op.set_remote_server(server);
        step = core_.begin_remote_get({op.token(), ""}, op, kNow);
        ASSERT_TRUE(std::holds_alternative<OpResult>(step)) << server;
        EXPECT_GE(std::get<OpResult>(step).status, 400u) << server;
    }
    // Without a put token for its own locker, nothing is fetched at all.
    op.set_remote_server("http://10.0.0.2:8300");
    op.set_token(token("alice", op_bit(Op::get)));
    step = core_.begin_remote_get({op.token(), ""}, op, kNow);
    EXPECT_EQ(std::get<OpResult>(step).status, 403u);
}

TEST_F(ServerCoreTest, RegisterLockerAndMetrics) {
    decade_api::RegisterLockerRequest req;
    req.set_quota_bytes(100);
    decade_api::RegisterLockerResponse out;
    EXPECT_EQ(core_.register_locker(req, "carol", secret_of(3), out).status, 201u);
    EXPECT_EQ(out.locker(), "carol");
    EXPECT_EQ(out.secret().size(), 32u);
    EXPECT_EQ(core_.register_locker(req, "carol", secret_of(3), out).status, 409u);
    req.set_quota_bytes(1ULL << 40);
    EXPECT_EQ(core_.register_locker(req, "dave", secret_of(4), out).status, 400u);
    const std::string m = core_.render_metrics();
    EXPECT_NE(m.find("decade_lockers 3"), std::string::npos) << m;
    EXPECT_NE(m.find("decade_requests_total{op=\"register\",status=\"201\"} 1"), std::string::npos)
        << m;
}

}  // namespace
}  // namespace p2pls::decade_server
