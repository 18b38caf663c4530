#include <gtest/gtest.h>

#include "decade-module/core/call_status.hpp"

namespace p2pls::decade {
namespace {

TEST(CallStatus, MapsHttpAnswers) {
    EXPECT_TRUE(status_from_http(200, "", "").ok());
    EXPECT_TRUE(status_from_http(201, "", "").ok());

    const auto busy = status_from_http(503, R"({"error":"busy","detail":"slots"})", "7");
    EXPECT_TRUE(busy.busy());
    EXPECT_EQ(busy.retry_after, std::chrono::seconds(7));
    EXPECT_EQ(status_from_http(503, "", "garbage").retry_after, std::chrono::seconds(1));

    const auto expired =
        status_from_http(401, R"({"error":"token_expired","detail":"token expired"})", "");
    EXPECT_EQ(expired.code, Errc::token_expired);
    EXPECT_EQ(expired.reason, "token_expired");
    EXPECT_EQ(status_from_http(403, R"({"error":"token_out_of_scope","detail":""})", "").code,
              Errc::token_out_of_scope);
    EXPECT_EQ(status_from_http(404, R"({"error":"not_found","detail":""})", "").code,
              Errc::not_found);
    EXPECT_EQ(status_from_http(507, R"({"error":"quota_exceeded","detail":""})", "").code,
              Errc::quota_exceeded);
    EXPECT_EQ(status_from_http(400, "not json", "").code, Errc::bad_request);
    EXPECT_EQ(status_from_http(502, "", "").code, Errc::unavailable);
    // A remote server's 503 relayed by Remote Get: still "busy", retry in a second.
    const auto remote = status_from_http(503, R"({"error":"remote_busy","detail":""})", "");
    EXPECT_TRUE(remote.busy());
    EXPECT_EQ(remote.reason, "remote_busy");
}

// A token error is believed only with the status it travels with: a 404 or a 500 whose
// body names one is what its status says (found by the decade_status fuzz target).
TEST(CallStatus, TokenReasonNeedsItsStatus) {
    EXPECT_EQ(status_from_http(404, R"({"error":"token_expired","detail":""})", "").code,
              Errc::not_found);
    EXPECT_EQ(status_from_http(500, R"({"error":"token_wrong_op","detail":""})", "").code,
              Errc::unavailable);
    EXPECT_EQ(status_from_http(401, R"({"error":"token_wrong_op","detail":""})", "").code,
              Errc::token_bad_mac);  // 403's error in a 401: refused, reason unknown
    EXPECT_EQ(status_from_http(403, R"({"error":"token_wrong_op","detail":""})", "").code,
              Errc::token_wrong_op);
    // Retry-After 0 would spin the client: it waits the default second.
    EXPECT_EQ(status_from_http(503, "", "0").retry_after, std::chrono::seconds(1));
}

}  // namespace
}  // namespace p2pls::decade
