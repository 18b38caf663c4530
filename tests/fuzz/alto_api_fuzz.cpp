// alto::handle_alto_request with any body on every route, with the right or a wrong
// Content-Type, a restrictive or open Accept and clients of both families. Every answer
// is one of the statuses the API documents; a 200 is a JSON object of the route's media
// type, and a 400 is an RFC 7285 error body with one of its four codes.
#include <boost/json.hpp>
#include <string>
#include <variant>

#include "alto/core/alto_api.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

namespace alto = p2pls::alto;

const alto::AltoMaps& maps() {
    static const alto::AltoMaps m = std::get<alto::AltoMaps>(alto::parse_alto_maps(R"(
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
dst = "west"
routingcost = 35
symmetric = true
[[costs]]
src = "east"
dst = "east"
routingcost = 1
)"));
    return m;
}

struct Route {
    std::string_view method;
    std::string_view path;
    std::string_view body_type;
};
constexpr Route kRoutes[] = {
    {"GET", "/directory", ""},
    {"GET", "/networkmap", ""},
    {"GET", "/costmap/num/routingcost", ""},
    {"GET", "/costmap/ord/routingcost", ""},
    {"POST", "/costmap/filtered", alto::media::cost_map_filter},
    {"POST", "/endpointcost/lookup", alto::media::endpoint_cost_params},
    {"POST", "/nowhere", ""},
};
constexpr std::string_view kClients[] = {"127.1.0.9", "::ffff:127.2.0.1", "fd00:2::1", "x"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::FuzzInput in(data, size);
    const Route& route = kRoutes[in.integral<std::uint8_t>() % std::size(kRoutes)];
    const auto flags = in.integral<std::uint8_t>();
    const std::string_view content_type = (flags & 1) != 0 ? route.body_type : "application/json";
    const std::string_view accept = (flags & 2) != 0 ? "text/html;q=1, */*;q=0" : "";
    const std::string_view client = kClients[(flags >> 2) % std::size(kClients)];
    const std::string_view body = in.rest();

    const auto r = alto::handle_alto_request(
        {maps(), "http://alto"}, {route.method, route.path, content_type, accept, body, client});
    FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 404 || r.status == 405 ||
               r.status == 406 || r.status == 415);
    if (r.status == 200 || r.status == 400) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(r.body, ec);
        FUZZ_CHECK(!ec && v.is_object());
    }
    if (r.status == 400) {
        FUZZ_CHECK(r.content_type == alto::media::error);
        const auto code = boost::json::parse(r.body).at("meta").at("code").as_string();
        FUZZ_CHECK(code == "E_SYNTAX" || code == "E_MISSING_FIELD" ||
                   code == "E_INVALID_FIELD_TYPE" || code == "E_INVALID_FIELD_VALUE");
    }
    return 0;
}
