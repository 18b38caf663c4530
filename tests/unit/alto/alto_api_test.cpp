#include "alto/core/alto_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <variant>

namespace p2pls::alto {
namespace {

namespace json = boost::json;

constexpr const char* kMaps = R"(
[pids.east]
ipv4 = ["127.1.0.0/16"]
[pids.west]
ipv4 = ["127.2.0.0/16"]
ipv6 = ["fd00:2::/32"]
[pids.default]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "east"
dst = "east"
routingcost = 1
[[costs]]
src = "east"
dst = "west"
routingcost = 35
symmetric = true
[[costs]]
src = "east"
dst = "default"
routingcost = 100
[[costs]]
src = "west"
dst = "west"
routingcost = 1
)";

class AltoApi : public ::testing::Test {
  protected:
    AltoApi() : maps_(std::move(std::get<AltoMaps>(parse_alto_maps(kMaps)))) {}

    AltoResponse get(std::string_view target, std::string_view accept = {}) {
        return handle_alto_request({maps_, "http://alto"},
                                   {"GET", target, {}, accept, {}, client_});
    }
    AltoResponse filtered(std::string_view body, std::string_view type = media::cost_map_filter) {
        return handle_alto_request({maps_, "http://alto"},
                                   {"POST", "/costmap/filtered", type, {}, body, client_});
    }
    AltoResponse endpoint(std::string_view body,
                          std::string_view type = media::endpoint_cost_params) {
        return handle_alto_request({maps_, "http://alto"},
                                   {"POST", "/endpointcost/lookup", type, {}, body, client_});
    }
    // The error body's meta, after checking the status and media type.
    static json::object error_meta(const AltoResponse& r) {
        EXPECT_EQ(r.status, 400u) << r.body;
        EXPECT_EQ(r.content_type, media::error);
        auto v = json::parse(r.body);
        return v.as_object().at("meta").as_object();
    }
    static void expect_error(const AltoResponse& r, std::string_view code, std::string_view field,
                             std::string_view value = {}) {
        const auto meta = error_meta(r);
        EXPECT_EQ(meta.at("code").as_string(), code) << r.body;
        if (!field.empty()) {
            EXPECT_EQ(meta.at("field").as_string(), field) << r.body;
        }
        if (!value.empty()) {
            EXPECT_EQ(meta.at("value").as_string(), value) << r.body;
        }
    }

    AltoMaps maps_;
    std::string client_ = "127.1.0.9";
};

constexpr const char* kNumerical =
    R"("cost-type": {"cost-mode": "numerical", "cost-metric": "routingcost"})";
constexpr const char* kOrdinal =
    R"("cost-type": {"cost-mode": "ordinal", "cost-metric": "routingcost"})";

TEST_F(AltoApi, BodiesThatAreNotJsonObjectsAreSyntaxErrors) {
    const auto r = filtered("{\"cost-type\": ");
    const auto meta = error_meta(r);
    EXPECT_EQ(meta.at("code").as_string(), "E_SYNTAX");
    EXPECT_NE(std::string(meta.at("syntax-error").as_string()).find("offset"), std::string::npos);
    expect_error(filtered("[1, 2]"), "E_SYNTAX", {});
    expect_error(endpoint(""), "E_SYNTAX", {});
    expect_error(endpoint(std::string(100, '[') + std::string(100, ']')), "E_SYNTAX", {});
    expect_error(filtered("{} trailing"), "E_SYNTAX", {});
}

TEST_F(AltoApi, MissingFieldsAreNamed) {
    expect_error(filtered("{}"), "E_MISSING_FIELD", "cost-type");
    expect_error(filtered(R"({"cost-type": {"cost-metric": "routingcost"}})"), "E_MISSING_FIELD",
                 "cost-type/cost-mode");
    expect_error(filtered(R"({"cost-type": {"cost-mode": "ordinal"}})"), "E_MISSING_FIELD",
                 "cost-type/cost-metric");
    expect_error(endpoint(std::string("{") + kNumerical + "}"), "E_MISSING_FIELD", "endpoints");
    expect_error(endpoint(std::string("{") + kNumerical + R"(, "endpoints": {"srcs": []}})"),
                 "E_MISSING_FIELD", "endpoints/dsts");
}

TEST_F(AltoApi, FieldsOfTheWrongTypeAreNamed) {
    expect_error(filtered(R"({"cost-type": "numerical"})"), "E_INVALID_FIELD_TYPE", "cost-type");
    expect_error(filtered(R"({"cost-type": {"cost-mode": 1, "cost-metric": "routingcost"}})"),
                 "E_INVALID_FIELD_TYPE", "cost-type/cost-mode");
    expect_error(filtered(std::string("{") + kNumerical + R"(, "pids": []})"),
                 "E_INVALID_FIELD_TYPE", "pids");
    expect_error(filtered(std::string("{") + kNumerical + R"(, "pids": {"srcs": "east"}})"),
                 "E_INVALID_FIELD_TYPE", "pids/srcs");
    expect_error(filtered(std::string("{") + kNumerical + R"(, "pids": {"dsts": [1]}})"),
                 "E_INVALID_FIELD_TYPE", "pids/dsts");
    expect_error(filtered(std::string("{") + kNumerical + R"(, "constraints": "le 5"})"),
                 "E_INVALID_FIELD_TYPE", "constraints");
    expect_error(endpoint(std::string("{") + kNumerical + R"(, "endpoints": []})"),
                 "E_INVALID_FIELD_TYPE", "endpoints");
}

TEST_F(AltoApi, ValuesTheServerCannotUseAreNamedWithTheValue) {
    expect_error(
        filtered(R"({"cost-type": {"cost-mode": "fastest", "cost-metric": "routingcost"}})"),
        "E_INVALID_FIELD_VALUE", "cost-type/cost-mode", "fastest");
    expect_error(
        filtered(R"({"cost-type": {"cost-mode": "numerical", "cost-metric": "hopcount"}})"),
        "E_INVALID_FIELD_VALUE", "cost-type/cost-metric", "hopcount");
    expect_error(filtered(std::string("{") + kNumerical + R"(, "constraints": ["below 5"]})"),
                 "E_INVALID_FIELD_VALUE", "constraints", "below 5");
    expect_error(filtered(std::string("{") + kNumerical + R"(, "pids": {"srcs": ["no spaces"]}})"),
                 "E_INVALID_FIELD_VALUE", "pids/srcs", "no spaces");
    const std::string prefix = std::string("{") + kNumerical + R"(, "endpoints": )";
    expect_error(endpoint(prefix + R"({"dsts": ["ipv4:300.1.1.1"]}})"), "E_INVALID_FIELD_VALUE",
                 "endpoints/dsts", "ipv4:300.1.1.1");
    expect_error(endpoint(prefix + R"({"dsts": ["127.0.0.1"]}})"), "E_INVALID_FIELD_VALUE",
                 "endpoints/dsts", "127.0.0.1");
    expect_error(endpoint(prefix + R"({"srcs": ["ipv6:127.0.0.1"], "dsts": ["ipv4:1.1.1.1"]}})"),
                 "E_INVALID_FIELD_VALUE", "endpoints/srcs", "ipv6:127.0.0.1");
    expect_error(endpoint(prefix + R"({"dsts": []}})"), "E_INVALID_FIELD_VALUE", "endpoints/dsts");
    // A long offending value is echoed only in part.
    const std::string long_value = "ipv4:" + std::string(5000, '9');
    const auto meta = error_meta(endpoint(prefix + R"({"dsts": [")" + long_value + "\"]}}"));
    EXPECT_LE(meta.at("value").as_string().size(), 256u);
}

TEST_F(AltoApi, EndpointCostRequestsAreBounded) {
    std::string dsts;
    for (int i = 0; i < 400; ++i) {
        dsts += std::string(i ? "," : "") + "\"ipv4:127.2.0." + std::to_string(i % 250) + "\"";
    }
    std::string srcs = dsts;
    const auto r = endpoint(std::string("{") + kNumerical + R"(, "endpoints": {"srcs": [)" + srcs +
                            R"(], "dsts": [)" + dsts + "]}}");
    expect_error(r, "E_INVALID_FIELD_VALUE", "endpoints");
}

TEST_F(AltoApi, EndpointCostWithoutSourcesAsksForTheClientItself) {
    const std::string body = std::string("{") + kNumerical +
                             R"(, "endpoints": {"dsts": ["ipv4:127.1.5.5", "ipv4:127.2.0.1",
                                "ipv6:fd00:2::7", "ipv4:8.8.8.8", "ipv6:2001:db8::1"]}})";
    auto r = endpoint(body);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(json::parse(r.body).at("endpoint-cost-map"), json::parse(R"({"ipv4:127.1.0.9": {
        "ipv4:127.1.5.5": 1, "ipv4:127.2.0.1": 35, "ipv6:fd00:2::7": 35,
        "ipv4:8.8.8.8": 100, "ipv6:2001:db8::1": 100}})"));
    // An IPv4 client seen through an IPv6 socket is the IPv4 address.
    client_ = "::ffff:127.2.3.4";
    r = endpoint(body);
    ASSERT_EQ(r.status, 200u) << r.body;
    // west has no cost to default: those pairs are left out.
    EXPECT_EQ(json::parse(r.body).at("endpoint-cost-map"), json::parse(R"({"ipv4:127.2.3.4": {
        "ipv4:127.1.5.5": 35, "ipv4:127.2.0.1": 1, "ipv6:fd00:2::7": 1}})"));
}

TEST_F(AltoApi, OrdinalRanksAndConstraintsShapeTheAnswer) {
    auto r = endpoint(std::string("{") + kOrdinal +
                      R"(, "constraints": ["le 2"], "endpoints": {"srcs": ["ipv4:127.1.0.1"],
                         "dsts": ["ipv4:9.9.9.9", "ipv4:127.2.0.1", "ipv4:127.1.0.2",
                                  "ipv4:127.1.0.3"]}})");
    ASSERT_EQ(r.status, 200u) << r.body;
    // east->east costs 1 twice (rank 1, both), west 35 (rank 3), default 100 (rank 4);
    // "le 2" keeps the two rank-1 destinations.
    EXPECT_EQ(json::parse(r.body).at("endpoint-cost-map"),
              json::parse(R"({"ipv4:127.1.0.1": {"ipv4:127.1.0.2": 1, "ipv4:127.1.0.3": 1}})"));
    r = filtered(std::string("{") + kNumerical +
                 R"(, "constraints": ["gt 1", "lt 100"], "pids": {"srcs": [], "dsts": []}})");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(json::parse(r.body).at("cost-map"),
              json::parse(R"({"east": {"west": 35}, "west": {"east": 35}})"));
    r = get("/costmap/ord/routingcost");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(json::parse(r.body).at("cost-map"),
              json::parse(R"({"east": {"default": 3, "east": 1, "west": 2},
                              "west": {"east": 2, "west": 1}})"));
}

TEST_F(AltoApi, UnknownPidsInAFilterAreLeftOut) {
    const auto r = filtered(std::string("{") + kNumerical +
                            R"(, "pids": {"srcs": ["east", "mars"], "dsts": ["mars", "west"]}})");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(json::parse(r.body).at("cost-map"), json::parse(R"({"east": {"west": 35}})"));
    // Unknown request fields are ignored.
    EXPECT_EQ(filtered(std::string("{") + kNumerical + R"(, "colour": "blue"})").status, 200u);
}

TEST_F(AltoApi, HttpLevelRefusals) {
    auto r = get("/nowhere");
    EXPECT_EQ(r.status, 404u);
    EXPECT_NE(r.body.find("/directory"), std::string::npos);
    r = handle_alto_request({maps_, "http://alto"}, {"POST", "/networkmap", {}, {}, {}, client_});
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(r.allow, "GET");
    r = handle_alto_request({maps_, "http://alto"},
                            {"GET", "/endpointcost/lookup", {}, {}, {}, client_});
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(r.allow, "POST");
    EXPECT_EQ(get("/networkmap", "application/alto-costmap+json").status, 406u);
    EXPECT_EQ(get("/networkmap", "application/alto-networkmap+json;q=0").status, 406u);
    EXPECT_EQ(get("/networkmap", "text/html, */*;q=0.1").status, 200u);
    EXPECT_EQ(get("/networkmap", "application/*").status, 200u);
    EXPECT_EQ(get("/networkmap?x=1", "APPLICATION/ALTO-NETWORKMAP+JSON").status, 200u);
    EXPECT_EQ(filtered(std::string("{") + kNumerical + "}", "application/json").status, 415u);
    EXPECT_EQ(filtered(std::string("{") + kNumerical + "}", "").status, 415u);
    EXPECT_EQ(filtered(std::string("{") + kNumerical + "}",
                       "application/alto-costmapfilter+json; charset=utf-8")
                  .status,
              200u);
    EXPECT_EQ(endpoint("{}", media::cost_map_filter).status, 415u);
    // The directory answers at / too.
    r = get("/");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, media::directory);
}

}  // namespace
}  // namespace p2pls::alto
