// Byte budgets and quotas are charged exactly: a token pays for the bytes it moved (Remote
// Get included) and for nothing that was refused; every object, even an empty one, costs
// the locker's quota its fixed charge.
#include <gtest/gtest.h>

#include "decade-module/core/token.hpp"
#include "decade-server/core/api.hpp"
#include "decade-server/core/server_core.hpp"
#include "decade-server/store/memory_store.hpp"
#include "p2pls/decade.pb.h"

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

std::string token(std::string_view locker, std::uint8_t ops, std::uint64_t budget, std::uint64_t id,
                  UnixSeconds expiry = kNow + 3600) {
    decade::TokenClaims c{.locker = std::string(locker),
                          .ops = ops,
                          .prefix = "o-",
                          .seq_first = 0,
                          .seq_last = 99,
                          .not_before_s = kNow - 1,
                          .expiry_s = expiry,
                          .byte_budget = budget,
                          .token_id = id,
                          .grantee = ""};
    return decade::generate_token(secret_of(locker == "alice" ? 1 : 2), c).value();
}

ServerConfig config() {
    ServerConfig c;
    c.max_object_bytes = 1 << 20;
    c.peer_servers = {std::string(kPeer)};
    c.self_urls = {std::string(kSelf)};
    return c;
}

using Charged = std::pair<std::uint64_t, std::uint64_t>;

class BudgetTest : public ::testing::Test {
  protected:
    BudgetTest() : core_(config(), store_) {
        EXPECT_TRUE(core_.add_locker({"alice", secret_of(1), 1 << 24, 1}));
        EXPECT_TRUE(core_.add_locker({"bob", secret_of(2), 1 << 24, 1}));
    }

    void put(std::string_view locker, std::string_view name, std::size_t size) {
        const auto r = core_.put({token(locker, decade::kAllOps, 0, 1), ""}, locker, name,
                                 std::string(size, 'x'), std::nullopt, kNow);
        ASSERT_EQ(r.status, 201u) << r.detail;
    }

    // What the locker's status says about token `id`: requests counted, and bytes served.
    Charged charged(std::string_view locker, std::uint64_t id) {
        // The status token has an id of its own, so it is not among the figures read.
        const auto s = core_.status({token(locker, decade::kAllOps, 0, 999), ""}, locker, kNow);
        const auto& by_token = s.locker_status->requests_by_token();
        const auto it = by_token.find(id);
        return {it == by_token.end() ? 0 : it->second, s.locker_status->bytes_served()};
    }

    decade_api::RemoteGetOp remote_op(std::string_view server, std::string put_token,
                                      std::string remote_token, std::string name = "o-50") {
        decade_api::RemoteGetOp op;
        op.set_locker("alice");
        op.set_name(std::move(name));
        op.set_token(std::move(put_token));
        op.set_remote_server(std::string(server));
        op.set_remote_locker("bob");
        op.set_remote_name("o-1");
        op.set_remote_token(std::move(remote_token));
        return op;
    }

    MemoryStore store_;
    ServerCore core_;
};

TEST_F(BudgetTest, ABatchGetRefusedWith413ChargesNothing) {
    put("alice", "o-1", 60);
    put("alice", "o-2", 60);
    const std::string reader = token("alice", op_bit(Op::get), 120, 5);
    ApiConfig api;
    api.max_batch_response_bytes = 100;  // room for one of the two objects
    decade_api::BatchRequest batch;
    for (const char* name : {"o-1", "o-2"}) {
        auto* g = batch.add_ops()->mutable_get();
        g->set_locker("alice");
        g->set_name(name);
        g->set_token(reader);
    }
    ApiRequest r;
    r.method = "POST";
    r.target = "/v1/batch";
    r.body = batch.SerializeAsString();
    r.remote_address = "192.0.2.7";
    const auto answer = std::get<ApiResponse>(handle_request(core_, api, std::move(r), kNow));
    decade_api::BatchResponse out;
    ASSERT_TRUE(out.ParseFromString(answer.body));
    ASSERT_EQ(out.results_size(), 2);
    EXPECT_EQ(out.results(0).status(), 200u);
    EXPECT_EQ(out.results(1).status(), 413u);
    EXPECT_EQ(out.results(1).error(), "batch_response_too_large");
    ASSERT_EQ(answer.egress.size(), 1u);
    EXPECT_EQ(answer.egress[0].bytes, 60u);
    EXPECT_EQ(charged("alice", 5), Charged(1, 60));
    // The 60 bytes the refusal did not move are still the token's to spend: asked again
    // alone, o-2 comes, and then the budget is spent to the byte.
    EXPECT_EQ(core_.get({reader, ""}, "alice", "o-2", kNow).status, 200u);
    EXPECT_EQ(core_.get({reader, ""}, "alice", "o-1", kNow).error, "token_budget_exhausted");
    EXPECT_EQ(charged("alice", 5), Charged(2, 120));
}

TEST_F(BudgetTest, RefusedOperationsAreNotCounted) {
    const std::string t = token("alice", decade::kAllOps, 1000, 6);
    EXPECT_EQ(core_.remove({t, ""}, "alice", "o-1", kNow).status, 404u);
    EXPECT_EQ(core_.get({t, ""}, "alice", "o-1", kNow).status, 404u);
    EXPECT_EQ(core_.put({t, ""}, "alice", "bad name", "x", std::nullopt, kNow).status, 403u);
    EXPECT_EQ(core_.put({t, ""}, "alice", "o-1", "x", 1'000'000'000, kNow).status, 400u);
    EXPECT_EQ(charged("alice", 6).first, 0u);
    EXPECT_EQ(core_.put({t, ""}, "alice", "o-1", "x", std::nullopt, kNow).status, 201u);
    EXPECT_EQ(core_.remove({t, ""}, "alice", "o-1", kNow).status, 204u);
    EXPECT_EQ(charged("alice", 6).first, 2u);
}

TEST_F(BudgetTest, ARemoteGetByLinkChargesBothTokensExactly) {
    put("bob", "o-1", 300);
    const std::string asker = token("alice", op_bit(Op::put), 300, 11);
    const std::string remote = token("bob", op_bit(Op::get), 300, 12);
    const auto first = core_.begin_remote_get({asker, ""}, remote_op(kSelf, asker, remote), kNow);
    ASSERT_EQ(std::get<OpResult>(first).status, 200u) << std::get<OpResult>(first).detail;
    EXPECT_EQ(charged("bob", 12), Charged(1, 300));
    EXPECT_EQ(charged("alice", 11).first, 1u);
    // Both budgets are spent: the next link is refused and moves nothing.
    const auto second =
        core_.begin_remote_get({asker, ""}, remote_op(kSelf, asker, remote, "o-51"), kNow);
    EXPECT_EQ(std::get<OpResult>(second).status, 403u);
    EXPECT_EQ(charged("bob", 12), Charged(1, 300));
    EXPECT_EQ(core_.locker_info("alice")->objects, 1u);

    // In a batch with room for 100 bytes, a 300-byte link is refused before it links.
    const std::string roomy = token("alice", op_bit(Op::put), 0, 13);
    const std::string remote2 = token("bob", op_bit(Op::get), 0, 14);
    const auto tight = core_.begin_remote_get({roomy, ""}, remote_op(kSelf, roomy, remote2, "o-52"),
                                              kNow, /*max_bytes=*/100);
    EXPECT_EQ(std::get<OpResult>(tight).error, "batch_response_too_large");
    EXPECT_EQ(charged("bob", 14).first, 0u);
    EXPECT_EQ(core_.locker_info("alice")->objects, 1u);
}

TEST_F(BudgetTest, ARemoteGetFromAnotherServerFetchesNoMoreThanTheBudgetLeft) {
    const std::string asker = token("alice", op_bit(Op::put), 10'000, 21);
    const auto op = remote_op(kPeer, asker, "RT");
    auto begin = [&] { return core_.begin_remote_get({asker, ""}, op, kNow); };
    auto step = begin();
    ASSERT_TRUE(std::holds_alternative<RemoteFetch>(step));
    EXPECT_EQ(std::get<RemoteFetch>(step).max_bytes, 10'000u);

    // More than the budget (the transfer's slack let it in): refused, not stored.
    auto r = core_.finish_remote_get({asker, ""}, op, {200, std::string(10'001, 'y'), ""}, kNow);
    EXPECT_EQ(r.error, "token_budget_exhausted");
    // Cut off by the transfer's own bound: refused as too large.
    FetchOutcome cut;
    cut.too_large = true;
    cut.failure = "too large";
    EXPECT_EQ(core_.finish_remote_get({asker, ""}, op, cut, kNow).status, 413u);
    EXPECT_EQ(core_.locker_info("alice")->objects, 0u);
    EXPECT_EQ(charged("alice", 21).first, 0u);

    r = core_.finish_remote_get({asker, ""}, op, {200, std::string(7'000, 'y'), ""}, kNow);
    ASSERT_EQ(r.status, 200u);
    // 3,000 bytes left; the transfer may take room for an error body (4 KiB) besides.
    step = begin();
    EXPECT_EQ(std::get<RemoteFetch>(step).max_bytes, 4096u);
    r = core_.finish_remote_get({asker, ""}, op, {200, std::string(3'000, 'z'), ""}, kNow);
    ASSERT_EQ(r.status, 200u);
    // Spent to the byte: no fetch at all.
    step = begin();
    ASSERT_TRUE(std::holds_alternative<OpResult>(step));
    EXPECT_EQ(std::get<OpResult>(step).error, "token_budget_exhausted");
    EXPECT_EQ(charged("alice", 21).first, 2u);
}

TEST_F(BudgetTest, EveryObjectCostsItsChargeEvenWhenEmpty) {
    ServerConfig c = config();
    MemoryStore store;
    ServerCore core(c, store);
    // Room for four objects' charges, nothing more.
    ASSERT_TRUE(core.add_locker({"alice", secret_of(1), 4 * kObjectChargeBytes, 1}));
    const std::string t = token("alice", decade::kAllOps, 0, 1);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(
            core.put({t, ""}, "alice", "o-" + std::to_string(i), "", std::nullopt, kNow).status,
            201u)
            << i;
    }
    const auto fifth = core.put({t, ""}, "alice", "o-4", "", std::nullopt, kNow);
    EXPECT_EQ(fifth.status, 507u);
    EXPECT_EQ(fifth.error, "quota_exceeded");
    const auto s = core.status({t, ""}, "alice", kNow);
    EXPECT_EQ(s.locker_status->bytes_used(), 4 * kObjectChargeBytes);
    EXPECT_EQ(s.locker_status->object_charge_bytes(), kObjectChargeBytes);
    // Replacing an object costs no second charge; deleting one gives its charge back.
    EXPECT_EQ(core.put({t, ""}, "alice", "o-0", "", std::nullopt, kNow).status, 201u);
    EXPECT_EQ(core.remove({t, ""}, "alice", "o-0", kNow).status, 204u);
    EXPECT_EQ(core.put({t, ""}, "alice", "o-4", "", std::nullopt, kNow).status, 201u);
    EXPECT_NE(core.render_metrics().find("decade_object_charge_bytes 1024"), std::string::npos);
}

TEST(TokenSweep, ATokenThatExpiresAtTheEndOfTimeKeepsItsSpentBudget) {
    ServerConfig c = config();
    c.token_skew_s = 30;  // expiry + skew would overflow
    MemoryStore store;
    ServerCore core(c, store);
    ASSERT_TRUE(core.add_locker({"alice", secret_of(1), 1 << 20, 1}));
    ASSERT_EQ(core.put({token("alice", decade::kAllOps, 0, 1), ""}, "alice", "o-1",
                       std::string(100, 'x'), std::nullopt, kNow)
                  .status,
              201u);
    const std::string forever =
        token("alice", op_bit(Op::get), 150, 2, std::numeric_limits<UnixSeconds>::max());
    ASSERT_EQ(core.get({forever, ""}, "alice", "o-1", kNow).status, 200u);
    EXPECT_EQ(core.sweep(kNow + 1), 0u);
    // Had the sweep forgotten the token's record, its budget would be whole again.
    EXPECT_EQ(core.get({forever, ""}, "alice", "o-1", kNow + 1).error, "token_budget_exhausted");
    EXPECT_EQ(saturating_add(std::numeric_limits<UnixSeconds>::max(), 30),
              std::numeric_limits<UnixSeconds>::max());
    EXPECT_EQ(saturating_add(std::numeric_limits<UnixSeconds>::min(), -1),
              std::numeric_limits<UnixSeconds>::min());
    EXPECT_EQ(saturating_add(5, 30), 35);
}

}  // namespace
}  // namespace p2pls::decade_server
