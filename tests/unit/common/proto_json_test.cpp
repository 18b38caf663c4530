#include "common/core/proto_json.hpp"

#include <gtest/gtest.h>

#include "p2pls/tracker.pb.h"

namespace p2pls {
namespace {

TEST(ProtoJson, UsesProtoFieldNamesAndLowercaseEnums) {
    tracker_api::AnnounceRequest request;
    request.set_peer_id("p1");
    request.set_event(tracker_api::started);
    request.set_mode(wire::decade);
    const std::string json = to_json(request);
    EXPECT_NE(json.find("\"peer_id\":\"p1\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"event\":\"started\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"mode\":\"decade\""), std::string::npos) << json;

    tracker_api::AnnounceRequest back;
    ASSERT_EQ(parse_json(json, back), std::nullopt);
    EXPECT_EQ(back.peer_id(), "p1");
    EXPECT_EQ(back.event(), tracker_api::started);
}

TEST(ProtoJson, RejectsUnknownFieldsWrongTypesAndGarbage) {
    tracker_api::AnnounceRequest out;
    EXPECT_NE(parse_json(R"({"peer_id":"p","bogus":1})", out), std::nullopt);
    EXPECT_NE(parse_json(R"({"peer_id":5})", out), std::nullopt);
    EXPECT_NE(parse_json(R"({"event":"exploded"})", out), std::nullopt);
    EXPECT_NE(parse_json("{not json", out), std::nullopt);
    EXPECT_NE(parse_json("", out), std::nullopt);
    EXPECT_TRUE(out.peer_id().empty());
}

}  // namespace
}  // namespace p2pls
