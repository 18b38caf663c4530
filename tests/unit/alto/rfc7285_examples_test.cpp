// The examples of RFC 7285 as tests: each request as the RFC writes it, against a map that
// produces the RFC's answer (the RFC's examples do not share one map, so each test has
// its own), and the answer compared as JSON with the RFC's. The vtags of the RFC are
// version strings of its own server; ours is the SHA-256 of the map, so the expected text
// gets our tag in their place.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <variant>

#include "alto/core/alto_api.hpp"

namespace p2pls::alto {
namespace {

namespace json = boost::json;

// The network map of §11.2.1.7 and the costs of §11.2.3.7.
constexpr const char* kRfcMaps = R"(
resource_id = "my-default-network-map"
[pids.PID1]
ipv4 = ["192.0.2.0/24", "198.51.100.0/25"]
[pids.PID2]
ipv4 = ["198.51.100.128/25"]
[pids.PID3]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "PID1"
dst = "PID1"
routingcost = 1
[[costs]]
src = "PID1"
dst = "PID2"
routingcost = 5
symmetric = true
[[costs]]
src = "PID1"
dst = "PID3"
routingcost = 10
[[costs]]
src = "PID2"
dst = "PID2"
routingcost = 1
[[costs]]
src = "PID2"
dst = "PID3"
routingcost = 15
symmetric = true
[[costs]]
src = "PID3"
dst = "PID1"
routingcost = 20
)";

AltoMaps maps_of(const char* text) {
    auto parsed = parse_alto_maps(text);
    if (auto* why = std::get_if<std::string>(&parsed)) {
        ADD_FAILURE() << *why;
        std::abort();
    }
    return std::move(std::get<AltoMaps>(parsed));
}

std::string with_tag(std::string text, const std::string& rfc_tag, const std::string& ours) {
    text.replace(text.find(rfc_tag), rfc_tag.size(), ours);
    return text;
}

AltoResponse ask(const AltoMaps& maps, std::string_view method, std::string_view target,
                 std::string_view accept, std::string_view content_type = {},
                 std::string_view body = {}) {
    return handle_alto_request({maps, "http://alto.example.com"},
                               {method, target, content_type, accept, body, "192.0.2.200"});
}

TEST(Rfc7285Examples, NetworkMap_11_2_1_7) {
    const auto maps = maps_of(kRfcMaps);
    const auto r = ask(maps, "GET", "/networkmap",
                       "application/alto-networkmap+json,application/alto-error+json");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-networkmap+json");
    const std::string expected = R"({
      "meta" : {
        "vtag": {
          "resource-id": "my-default-network-map",
          "tag": "da65eca2eb7a10ce8b059740b0b2e3f8eb1d4785"
        }
      },
      "network-map" : {
        "PID1" : {
          "ipv4" : [
            "192.0.2.0/24",
            "198.51.100.0/25"
          ]
        },
        "PID2" : {
          "ipv4" : [
            "198.51.100.128/25"
          ]
        },
        "PID3" : {
          "ipv4" : [
            "0.0.0.0/0"
          ],
          "ipv6" : [
            "::/0"
          ]
        }
      }
    })";
    EXPECT_EQ(
        json::parse(r.body),
        json::parse(with_tag(expected, "da65eca2eb7a10ce8b059740b0b2e3f8eb1d4785", maps.vtag)));
}

TEST(Rfc7285Examples, CostMap_11_2_3_7) {
    const auto maps = maps_of(kRfcMaps);
    const auto r = ask(maps, "GET", "/costmap/num/routingcost",
                       "application/alto-costmap+json,application/alto-error+json");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-costmap+json");
    const std::string expected = R"({
      "meta" : {
        "dependent-vtags" : [
          {"resource-id": "my-default-network-map",
           "tag": "3ee2cb7e8d63d9fab71b9b34cbf764436315542e"
          }
        ],
        "cost-type" : {"cost-mode"  : "numerical",
                       "cost-metric": "routingcost"
        }
      },
      "cost-map" : {
        "PID1": { "PID1": 1,  "PID2": 5,  "PID3": 10 },
        "PID2": { "PID1": 5,  "PID2": 1,  "PID3": 15 },
        "PID3": { "PID1": 20, "PID2": 15  }
      }
    })";
    EXPECT_EQ(
        json::parse(r.body),
        json::parse(with_tag(expected, "3ee2cb7e8d63d9fab71b9b34cbf764436315542e", maps.vtag)));
}

TEST(Rfc7285Examples, FilteredCostMap_11_3_2_7) {
    const auto maps = maps_of(kRfcMaps);
    const auto r = ask(maps, "POST", "/costmap/filtered",
                       "application/alto-costmap+json,application/alto-error+json",
                       "application/alto-costmapfilter+json", R"({
      "cost-type" : {"cost-mode" : "numerical",
                     "cost-metric" : "routingcost"
      },
      "pids" : {
        "srcs" : [ "PID1" ],
        "dsts" : [ "PID1", "PID2", "PID3" ]
      }
    })");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-costmap+json");
    const std::string expected = R"({
      "meta" : {
        "dependent-vtags" : [
          {"resource-id": "my-default-network-map",
           "tag": "75ed013b3cb58f896e839582504f622838ce670f"
          }
        ],
        "cost-type" : {"cost-mode"  : "numerical",
                       "cost-metric": "routingcost"
        }
      },
      "cost-map" : {
        "PID1": { "PID1": 1, "PID2": 5, "PID3": 10 }
      }
    })";
    EXPECT_EQ(
        json::parse(r.body),
        json::parse(with_tag(expected, "75ed013b3cb58f896e839582504f622838ce670f", maps.vtag)));
}

TEST(Rfc7285Examples, EndpointCostService_11_5_1_7) {
    // Three destinations in three PIDs, the first the source's own.
    const auto maps = maps_of(R"(
[pids.PID1]
ipv4 = ["192.0.2.0/24"]
[pids.PID2]
ipv4 = ["198.51.100.0/24"]
[pids.PID3]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "PID1"
dst = "PID1"
routingcost = 1
[[costs]]
src = "PID1"
dst = "PID2"
routingcost = 5
[[costs]]
src = "PID1"
dst = "PID3"
routingcost = 10
)");
    const auto r = ask(maps, "POST", "/endpointcost/lookup",
                       "application/alto-endpointcost+json,application/alto-error+json",
                       "application/alto-endpointcostparams+json", R"({
      "cost-type": {"cost-mode" : "ordinal",
                    "cost-metric" : "routingcost"},
      "endpoints" : {
        "srcs": [ "ipv4:192.0.2.2" ],
        "dsts": [
          "ipv4:192.0.2.89",
          "ipv4:198.51.100.34",
          "ipv4:203.0.113.45"
        ]
      }
    })");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-endpointcost+json");
    EXPECT_EQ(json::parse(r.body), json::parse(R"({
      "meta" : {
        "cost-type": {"cost-mode" : "ordinal",
                      "cost-metric" : "routingcost"
        }
      },
      "endpoint-cost-map" : {
        "ipv4:192.0.2.2": {
          "ipv4:192.0.2.89"    : 1,
          "ipv4:198.51.100.34" : 2,
          "ipv4:203.0.113.45"  : 3
        }
      }
    })"));
}

TEST(Rfc7285Examples, InformationResourceDirectory_9_2) {
    // The directory lists every resource with its media type, what a POST accepts, the
    // cost types and what each resource uses, in the shape of §9.2's example.
    const auto maps = maps_of(kRfcMaps);
    const auto r = ask(maps, "GET", "/directory",
                       "application/alto-directory+json,application/alto-error+json");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-directory+json");
    EXPECT_EQ(json::parse(r.body), json::parse(R"({
      "meta" : {
        "cost-types": {
          "num-routingcost": {"cost-mode" : "numerical", "cost-metric": "routingcost"},
          "ord-routingcost": {"cost-mode" : "ordinal", "cost-metric": "routingcost"}
        },
        "default-alto-network-map" : "my-default-network-map"
      },
      "resources" : {
        "my-default-network-map" : {
          "uri" : "http://alto.example.com/networkmap",
          "media-type" : "application/alto-networkmap+json"
        },
        "costmap-num-routingcost" : {
          "uri" : "http://alto.example.com/costmap/num/routingcost",
          "media-type" : "application/alto-costmap+json",
          "capabilities" : { "cost-type-names" : [ "num-routingcost" ] },
          "uses": [ "my-default-network-map" ]
        },
        "costmap-ord-routingcost" : {
          "uri" : "http://alto.example.com/costmap/ord/routingcost",
          "media-type" : "application/alto-costmap+json",
          "capabilities" : { "cost-type-names" : [ "ord-routingcost" ] },
          "uses": [ "my-default-network-map" ]
        },
        "filtered-costmap" : {
          "uri" : "http://alto.example.com/costmap/filtered",
          "media-type" : "application/alto-costmap+json",
          "accepts" : "application/alto-costmapfilter+json",
          "capabilities" : {
            "cost-constraints" : true,
            "cost-type-names" : [ "num-routingcost", "ord-routingcost" ]
          },
          "uses": [ "my-default-network-map" ]
        },
        "endpoint-cost" : {
          "uri" : "http://alto.example.com/endpointcost/lookup",
          "media-type" : "application/alto-endpointcost+json",
          "accepts" : "application/alto-endpointcostparams+json",
          "capabilities" : {
            "cost-constraints" : true,
            "cost-type-names" : [ "num-routingcost", "ord-routingcost" ]
          }
        }
      }
    })"));
}

}  // namespace
}  // namespace p2pls::alto
