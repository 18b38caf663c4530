// The one HTTP error table: every code has one wire name and one status, and the
// conversions both ways agree.
#include "common/core/http_error.hpp"

#include <gtest/gtest.h>

#include <set>

#include "common/core/proto_json.hpp"
#include "p2pls/http.pb.h"

namespace p2pls {
namespace {

TEST(HttpError, EveryWireCodeIsUniqueAndRoundTrips) {
    std::set<std::string_view> seen;
    for (const auto& entry : kHttpErrors) {
        EXPECT_TRUE(seen.insert(entry.wire).second) << entry.wire;
        EXPECT_EQ(http_errc_from_wire(entry.wire), entry.code) << entry.wire;
        EXPECT_EQ(wire_code(entry.code), entry.wire);
        const bool client_side =
            entry.code == HttpErrc::transport || entry.code == HttpErrc::bad_reply;
        if (client_side) {
            EXPECT_EQ(entry.status, 0u) << entry.wire;
        } else {
            EXPECT_GE(entry.status, 400u) << entry.wire;
            EXPECT_LT(entry.status, 600u) << entry.wire;
        }
    }
    EXPECT_EQ(http_errc_from_wire("no_such_code"), std::nullopt);
    EXPECT_EQ(http_errc_from_wire(""), std::nullopt);
}

TEST(HttpError, StatusAndCodeComeFromTheTable) {
    const HttpError e(HttpErrc::token_expired, "expired 3 s ago");
    EXPECT_EQ(e.status, 401u);
    EXPECT_EQ(e.error, "token_expired");
    EXPECT_EQ(e.code(), HttpErrc::token_expired);
    EXPECT_EQ(HttpError(HttpErrc::remote_token_out_of_scope, "").status, 403u);
    EXPECT_EQ(HttpError(HttpErrc::quota_exceeded, "").status, 507u);
    EXPECT_EQ(HttpError(HttpErrc::tracker_full, "", 30).retry_after_s, 30u);

    // What a remote said is kept as it came, even a code this build does not know.
    const HttpError heard = HttpError::received(418, "teapot", "short and stout", 5);
    EXPECT_EQ(heard.status, 418u);
    EXPECT_EQ(heard.error, "teapot");
    EXPECT_EQ(heard.code(), std::nullopt);
    EXPECT_EQ(heard.retry_after_s, 5u);
}

TEST(HttpError, BodyIsAnErrorBody) {
    http_api::ErrorBody body;
    ASSERT_EQ(parse_json(error_json(HttpError(HttpErrc::bad_name, "object name invalid")), body),
              std::nullopt);
    EXPECT_EQ(body.error(), "bad_name");
    EXPECT_EQ(body.detail(), "object name invalid");
    EXPECT_EQ(printable_detail("a\x01\xff"
                               "b",
                               3),
              "a??");
    EXPECT_EQ(printable_detail(std::string(400, 'x')).size(), 300u);
}

}  // namespace
}  // namespace p2pls
