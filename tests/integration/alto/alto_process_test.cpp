// p2pls-alto as a real process on loopback, asked with the curl command line: the
// directory leads to every resource, the endpoint cost service ranks by the client's own
// address, SIGHUP reloads the maps (a new vtag) or refuses a broken file (the old maps
// stay), and bad flags or files end it with a one-line error.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace p2pls {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::bin_path;

constexpr const char* kMaps = R"(
resource_id = "regions"
[pids.near]
ipv4 = ["127.0.0.0/24"]
[pids.far]
ipv4 = ["127.9.0.0/16"]
[pids.default]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "near"
dst = "near"
routingcost = 1
[[costs]]
src = "near"
dst = "far"
routingcost = 40
symmetric = true
)";

struct Reply {
    int status = 0;
    std::string content_type;
    std::string body;
};

class AltoProcess : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::getenv("P2PLS_BIN_DIR") == nullptr) {
            GTEST_SKIP() << "run through ctest";
        }
        std::ofstream(maps_) << kMaps;
        ASSERT_TRUE(alto_.start({"--maps", maps_.string()})) << alto_.output();
    }

    // curl -sS with the status and content type written after the body.
    Reply curl(const std::string& path, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{"curl", "-sS", "-w", "\n%{http_code} %{content_type}"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(path.starts_with("http") ? path : alto_.url() + path);
        const auto [code, out] = testing::run(argv, 20s);
        EXPECT_EQ(code, 0) << out;
        Reply r;
        const auto nl = out.rfind('\n');
        r.body = out.substr(0, nl);
        const auto tail = out.substr(nl + 1);
        r.status = std::atoi(tail.c_str());
        r.content_type = tail.substr(tail.find(' ') + 1);
        return r;
    }
    Reply post(const std::string& path, const std::string& type, const std::string& body) {
        return curl(path, {"-X", "POST", "-H", "Content-Type: " + type, "--data-binary", body});
    }
    std::string vtag() {
        const auto r = curl("/networkmap");
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(json::parse(r.body).at("meta").at("vtag").at("tag").as_string());
    }

    testing::TempDir tmp_{"p2pls-alto"};
    fs::path maps_ = tmp_.path() / "maps.toml";
    testing::ServerProcess alto_{bin_path("p2pls-alto"), tmp_.path() / "alto.port"};
};

TEST_F(AltoProcess, TheDirectoryLeadsToEveryResource) {
    const auto dir = curl("/directory", {"-H", "Accept: application/alto-directory+json"});
    ASSERT_EQ(dir.status, 200) << dir.body;
    EXPECT_EQ(dir.content_type, "application/alto-directory+json");
    const auto resources = json::parse(dir.body).at("resources").as_object();
    EXPECT_EQ(resources.size(), 5u);
    for (const auto& [id, resource] : resources) {
        SCOPED_TRACE(std::string(id));
        const std::string uri(resource.at("uri").as_string());
        EXPECT_TRUE(uri.starts_with(alto_.url() + "/")) << uri;
        const std::string media(resource.at("media-type").as_string());
        const auto* accepts = resource.as_object().if_contains("accepts");
        const auto r = accepts == nullptr ? curl(uri)
                                          : post(uri, std::string(accepts->as_string()),
                                                 R"({"cost-type": {"cost-mode": "numerical",
                                      "cost-metric": "routingcost"},
                                      "endpoints": {"dsts": ["ipv4:127.9.1.1"]}})");
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.content_type, media);
    }
}

TEST_F(AltoProcess, EndpointCostRanksFromTheClientsOwnAddress) {
    const auto r = post("/endpointcost/lookup", "application/alto-endpointcostparams+json",
                        R"({"cost-type": {"cost-mode": "ordinal", "cost-metric": "routingcost"},
                            "endpoints": {"dsts": ["ipv4:127.9.0.5", "ipv4:127.0.0.77"]}})");
    ASSERT_EQ(r.status, 200) << r.body;
    // curl connects from 127.0.0.1: PID near.
    EXPECT_EQ(json::parse(r.body).at("endpoint-cost-map"),
              json::parse(R"({"ipv4:127.0.0.1": {"ipv4:127.0.0.77": 1, "ipv4:127.9.0.5": 2}})"));
    const auto bad = post("/endpointcost/lookup", "application/alto-endpointcostparams+json",
                          R"({"cost-type": {"cost-mode": "ordinal"}})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.content_type, "application/alto-error+json");
    EXPECT_EQ(json::parse(bad.body).at("meta").at("code").as_string(), "E_MISSING_FIELD");
    EXPECT_EQ(post("/endpointcost/lookup", "text/plain", "{}").status, 415);
    EXPECT_EQ(curl("/networkmap", {"-H", "Accept: text/html"}).status, 406);
}

TEST_F(AltoProcess, SighupReloadsTheMapsOrKeepsThemWhenTheFileIsBroken) {
    const std::string before = vtag();
    ASSERT_EQ(before.size(), 64u);
    // A broken file: refused, the old maps stay, and the operator is told why.
    std::ofstream(maps_) << "[pids.x]\nipv4 = [\"10.0.0.1/8\"]\n";
    alto_.child()->signal(SIGHUP);
    ASSERT_TRUE(alto_.child()->wait_for_output("host bits set", 10s)) << alto_.output();
    EXPECT_EQ(vtag(), before);
    EXPECT_NE(curl("/metrics").body.find("p2pls_alto_reload_failures_total 1"), std::string::npos);
    // A good one with another map: a new vtag, and the cost maps name it.
    std::string moved = kMaps;
    moved.replace(moved.find("127.9.0.0/16"), 12, "127.8.0.0/16");
    std::ofstream(maps_) << moved;
    alto_.child()->signal(SIGHUP);
    ASSERT_TRUE(testing::wait_until([&] { return vtag() != before; }, 10s)) << alto_.output();
    const auto costs = curl("/costmap/num/routingcost");
    ASSERT_EQ(costs.status, 200) << costs.body;
    EXPECT_EQ(json::parse(costs.body).at("meta").at("dependent-vtags").at(0).at("tag").as_string(),
              vtag());
    EXPECT_EQ(alto_.stop(SIGTERM), 0);
}

TEST_F(AltoProcess, BadFlagsAndFilesEndItWithOneLine) {
    const auto broken = tmp_.path() / "broken.toml";
    std::ofstream(broken) << "[pids.a]\nipv4 = [\"0.0.0.0/0\"]\n";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--maps", broken.string()},
             {"--maps", (tmp_.path() / "missing.toml").string()},
             {"--listen", "nonsense"},
             {"--log-level", "loud"},
             {"--listen", "127.0.0.1:" + std::to_string(alto_.port())},
         }) {
        std::vector<std::string> argv{bin_path("p2pls-alto")};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto [code, out] = testing::run(argv, 20s);
        EXPECT_NE(code, 0) << out;
        EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
        EXPECT_TRUE(out.starts_with("p2pls-alto: ")) << out;
    }
}

}  // namespace
}  // namespace p2pls
