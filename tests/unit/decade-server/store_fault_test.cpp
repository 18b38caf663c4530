// What the core does when its store fails: a read that fails for now (EMFILE, EIO) is a
// 503 that deletes nothing; only a blob that is gone (ENOENT) or verified bad loses its
// references; a write that fails at any step leaves the acknowledged object as it was.
#include <gtest/gtest.h>

#include "decade-module/core/requests.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/api.hpp"
#include "decade-server/core/server_core.hpp"
#include "p2pls/decade.pb.h"
#include "tests/unit/decade-server/faulty_store.hpp"

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

std::string token(std::string_view locker, std::uint8_t ops, std::uint64_t budget = 0,
                  std::uint64_t id = 7) {
    decade::TokenClaims c{.locker = std::string(locker),
                          .ops = ops,
                          .prefix = "o-",
                          .seq_first = 0,
                          .seq_last = 99,
                          .not_before_s = kNow - 1,
                          .expiry_s = kNow + 3600,
                          .byte_budget = budget,
                          .token_id = id,
                          .grantee = ""};
    return decade::generate_token(secret_of(locker == "alice" ? 1 : 2), c).value();
}

ServerConfig config() {
    ServerConfig c;
    c.self_urls = {"http://127.0.0.1:8300"};
    return c;
}

class StoreFaultTest : public ::testing::Test {
  protected:
    StoreFaultTest() : core_(config(), store_) {
        EXPECT_TRUE(core_.add_locker({"alice", secret_of(1), 1 << 20, 1}));
        EXPECT_TRUE(core_.add_locker({"bob", secret_of(2), 1 << 20, 1}));
        // One blob, two references to it.
        EXPECT_EQ(core_.put({owner_a_, ""}, "alice", "o-1", std::string(kBytes), std::nullopt, kNow)
                      .status,
                  201u);
        EXPECT_EQ(
            core_.put({owner_b_, ""}, "bob", "o-1", std::string(kBytes), std::nullopt, kNow).status,
            201u);
    }

    OpResult get(std::string_view locker) {
        return core_.get({locker == "alice" ? owner_a_ : owner_b_, ""}, locker, "o-1", kNow);
    }

    static constexpr std::string_view kBytes = "acknowledged bytes";
    const std::string owner_a_ = token("alice", decade::kAllOps);
    const std::string owner_b_ = token("bob", decade::kAllOps);
    FaultyStore store_;
    ServerCore core_;
};

TEST_F(StoreFaultTest, TransientReadErrorsAnswer503AndKeepEveryReference) {
    // What a directory store reports for EMFILE, EIO, ENOMEM: anything but "not there"
    // and "verified bad".
    for (const Errc transient : {Errc::io_error, Errc::busy, Errc::timeout}) {
        store_.read_error = transient;
        for (int attempt = 0; attempt < 3; ++attempt) {
            const auto r = get("alice");
            EXPECT_EQ(r.status, 503u) << static_cast<int>(transient);
            EXPECT_EQ(r.error, "store_unavailable");
            EXPECT_EQ(r.retry_after_s, 1u);
            EXPECT_EQ(r.data, nullptr);
        }
        EXPECT_EQ(core_.reference_count(), 2u);
        EXPECT_EQ(core_.blob_count(), 1u);
        EXPECT_EQ(store_.blobs(), 1u);
    }
    store_.heal();
    for (const char* locker : {"alice", "bob"}) {
        const auto r = get(locker);
        ASSERT_EQ(r.status, 200u) << locker;
        EXPECT_EQ(*r.data, kBytes);
    }
    const std::string m = core_.render_metrics();
    EXPECT_NE(m.find("decade_store_read_errors_total 9"), std::string::npos) << m;
}

TEST_F(StoreFaultTest, TransientReadErrorsReachTheCallerAs503WithRetryAfter) {
    ApiConfig api;
    store_.read_error = Errc::io_error;
    const std::string target = decade::object_target("alice", "o-1");
    const std::string auth = "Bearer " + owner_a_;
    ApiRequest r;
    r.method = "GET";
    r.target = target;
    r.authorization = auth;
    r.remote_address = "192.0.2.7";
    const auto single = std::get<ApiResponse>(handle_request(core_, api, r, kNow));
    EXPECT_EQ(single.status, 503u);
    EXPECT_EQ(single.retry_after_s, 1u);
    EXPECT_EQ(single.shared_body, nullptr);
    EXPECT_TRUE(single.egress.empty());

    decade_api::BatchRequest batch;
    auto* g = batch.add_ops()->mutable_get();
    g->set_locker("alice");
    g->set_name("o-1");
    g->set_token(owner_a_);
    ApiRequest b;
    b.method = "POST";
    b.target = "/v1/batch";
    b.body = batch.SerializeAsString();
    b.remote_address = "192.0.2.7";
    const auto answer = std::get<ApiResponse>(handle_request(core_, api, std::move(b), kNow));
    decade_api::BatchResponse out;
    ASSERT_TRUE(out.ParseFromString(answer.body));
    ASSERT_EQ(out.results_size(), 1);
    EXPECT_EQ(out.results(0).status(), 503u);
    EXPECT_EQ(out.results(0).error(), "store_unavailable");
    EXPECT_TRUE(answer.egress.empty());

    // A Remote Get that would link the blob: 503, and nothing is linked.
    decade_api::RemoteGetOp op;
    op.set_locker("alice");
    op.set_name("o-2");
    op.set_token(owner_a_);
    op.set_remote_server("http://127.0.0.1:8300");
    op.set_remote_locker("bob");
    op.set_remote_name("o-1");
    op.set_remote_token(owner_b_);
    const auto linked = std::get<OpResult>(core_.begin_remote_get({owner_a_, ""}, op, kNow));
    EXPECT_EQ(linked.status, 503u);
    EXPECT_EQ(core_.locker_info("alice")->objects, 1u);
    EXPECT_EQ(core_.reference_count(), 2u);
}

TEST_F(StoreFaultTest, ABlobThatIsGoneOrVerifiedBadLosesEveryReference) {
    for (const Errc gone : {Errc::not_found, Errc::store_corrupt}) {
        store_.heal();
        // Both references (again, for the second case).
        ASSERT_EQ(core_.put({owner_a_, ""}, "alice", "o-1", std::string(kBytes), std::nullopt, kNow)
                      .status,
                  201u);
        ASSERT_EQ(
            core_.put({owner_b_, ""}, "bob", "o-1", std::string(kBytes), std::nullopt, kNow).status,
            201u);
        store_.read_error = gone;
        const auto r = get("alice");
        EXPECT_EQ(r.status, 404u) << static_cast<int>(gone);
        EXPECT_EQ(r.detail, "object lost");
        // Bob's reference to the same bytes goes too: they are gone for him as well.
        EXPECT_EQ(core_.reference_count(), 0u);
        EXPECT_EQ(core_.blob_count(), 0u);
        EXPECT_EQ(core_.locker_info("bob")->bytes_used, 0u);
        store_.heal();
        EXPECT_EQ(get("bob").status, 404u);
    }
}

// Replacing an acknowledged object, with the store failing at write 0, 1, 2, ...: every
// failure is a 503 that leaves the old bytes served, until the replacement goes through.
TEST(StoreWriteFaults, AFailureAtAnyStepOfAPutLeavesTheOldObject) {
    const std::string a = token("alice", decade::kAllOps);
    bool replaced = false;
    for (int n = 0; n < 10 && !replaced; ++n) {
        FaultyStore store;
        ServerCore core(config(), store);
        ASSERT_TRUE(core.add_locker({"alice", secret_of(1), 1 << 20, 1}));
        ASSERT_EQ(core.put({a, ""}, "alice", "o-1", "old", std::nullopt, kNow).status, 201u);
        store.fail_write_at(n);
        const auto r = core.put({a, ""}, "alice", "o-1", "new", std::nullopt, kNow);
        if (r.status == 201u) {
            replaced = true;
            EXPECT_EQ(*core.get({a, ""}, "alice", "o-1", kNow).data, "new");
            EXPECT_GE(n, 2);  // the blob and then its reference were written
            continue;
        }
        EXPECT_EQ(r.status, 503u) << "write " << n;
        EXPECT_EQ(r.retry_after_s, 1u);
        const auto got = core.get({a, ""}, "alice", "o-1", kNow);
        ASSERT_EQ(got.status, 200u) << "write " << n;
        EXPECT_EQ(*got.data, "old") << "write " << n;
        EXPECT_EQ(core.locker_info("alice")->objects, 1u);
        EXPECT_EQ(core.locker_info("alice")->bytes_used, 3u + kObjectChargeBytes);
    }
    EXPECT_TRUE(replaced);
}

TEST_F(StoreFaultTest, ADeleteTheStoreCannotRecordIs503AndKeepsTheObject) {
    store_.fail_write_at(0);
    const auto r = core_.remove({owner_a_, ""}, "alice", "o-1", kNow);
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(get("alice").status, 200u);
    EXPECT_EQ(core_.remove({owner_a_, ""}, "alice", "o-1", kNow).status, 204u);
    EXPECT_EQ(get("alice").status, 404u);
    EXPECT_EQ(get("bob").status, 200u);
}

TEST_F(StoreFaultTest, ARefreshTheStoreCannotRecordIs503AndKeepsTheOldExpiry) {
    const auto before = core_.status({owner_a_, ""}, "alice", kNow);
    ASSERT_EQ(before.status, 200u);
    ASSERT_EQ(before.locker_status->objects_size(), 1);
    const auto expiry = before.locker_status->objects(0).expiry_s();
    store_.fail_write_at(0);
    EXPECT_EQ(core_.refresh({owner_a_, ""}, "alice", "o-1", 10, kNow).status, 503u);
    const auto after = core_.status({owner_a_, ""}, "alice", kNow);
    EXPECT_EQ(after.locker_status->objects(0).expiry_s(), expiry);
    EXPECT_EQ(core_.refresh({owner_a_, ""}, "alice", "o-1", 10, kNow).status, 204u);
    EXPECT_EQ(core_.status({owner_a_, ""}, "alice", kNow).locker_status->objects(0).expiry_s(),
              kNow + 10);
}

}  // namespace
}  // namespace p2pls::decade_server
