// The file distribution platform (the draft's §6) as processes on loopback, for the
// platform's tests: three decade-server zones, each at its own address (127.0.1.1,
// 127.0.2.1, 127.0.3.1), an ALTO server whose map puts the user (127.0.0.1) nearest the
// second zone, then the first, then the third, and the portal with replication 2.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "portal/core/slicer.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::bin_path;

inline constexpr std::size_t kSliceBytes = 64 * 1024;
inline const std::string kSecretHex(64, 'a');
inline const std::string kAlice = "alice-key-0123456789";
inline const std::string kBob = "bob-key-9876543210";

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string zone_ip(int z) {
    return "127.0." + std::to_string(z) + ".1";
}

struct Reply {
    int status = 0;
    std::string body;
};

class Platform : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::getenv("P2PLS_BIN_DIR") == nullptr) {
            GTEST_SKIP() << "run through ctest";
        }
        std::ofstream(dir_ / "portal.secret") << kSecretHex << "\n";
        std::ofstream(dir_ / "accounts.toml")
            << "[[locker]]\nid = \"portal\"\nsecret_file = \"" << (dir_ / "portal.secret").string()
            << "\"\nquota_bytes = 100000000\n";
        for (int z = 1; z <= 3; ++z) {
            const auto port_file = dir_ / ("zone" + std::to_string(z) + ".port");
            auto& server = procs_.spawn(
                "decade-server", {"--listen", zone_ip(z) + ":0", "--port-file", port_file.string(),
                                  "--accounts", (dir_ / "accounts.toml").string()});
            const auto port = server.wait_for_port_file(port_file, 20s);
            ASSERT_TRUE(port) << server.output();
            zone_urls_.push_back("http://" + zone_ip(z) + ":" + std::to_string(*port));
            zones_.push_back(&server);
        }
        std::ofstream(dir_ / "maps.toml") << R"(
[pids.users]
ipv4 = ["127.0.0.0/24"]
[pids.zone1]
ipv4 = ["127.0.1.0/24"]
[pids.zone2]
ipv4 = ["127.0.2.0/24"]
[pids.zone3]
ipv4 = ["127.0.3.0/24"]
[pids.default]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "users"
dst = "zone2"
routingcost = 1
[[costs]]
src = "users"
dst = "zone1"
routingcost = 10
[[costs]]
src = "users"
dst = "zone3"
routingcost = 20
)";
        alto_ = &procs_.spawn(
            "p2pls-alto", {"--listen", "127.0.0.1:0", "--port-file", (dir_ / "alto.port").string(),
                           "--maps", (dir_ / "maps.toml").string()});
        const auto alto_port = alto_->wait_for_port_file(dir_ / "alto.port", 20s);
        ASSERT_TRUE(alto_port) << alto_->output();

        std::ofstream(dir_ / "publishers.toml")
            << "[[publishers]]\nname = \"alice\"\nkey_sha256 = \"" << portal::sha256_hex(kAlice)
            << "\"\n[[publishers]]\nname = \"bob\"\nkey_sha256 = \"" << portal::sha256_hex(kBob)
            << "\"\n";
        std::ofstream config(dir_ / "portal.toml");
        config << "replication = 2\nslice_bytes = " << kSliceBytes
               << "\nalto_url = \"http://127.0.0.1:" << *alto_port
               << "\"\npublishers_file = \"publishers.toml\"\ncatalog_file = \"catalog.json\"\n"
                  "key_file = \"portal.key\"\n"
               << portal_settings();
        for (int z = 1; z <= 3; ++z) {
            config << "[[zones]]\nname = \"zone" << z << "\"\nurl = \"" << zone_urls_[z - 1]
                   << "\"\naddress = \"" << zone_ip(z)
                   << "\"\nlocker = \"portal\"\nsecret_file = \"portal.secret\"\n";
        }
        config.close();
        start_portal();
    }

    void start_portal() {
        std::filesystem::remove(dir_ / "portal.port");
        portal_ = &procs_.spawn(
            "p2pls-portal", {"--config", (dir_ / "portal.toml").string(), "--listen", "127.0.0.1:0",
                             "--port-file", (dir_ / "portal.port").string()});
        const auto port = portal_->wait_for_port_file(dir_ / "portal.port", 20s);
        ASSERT_TRUE(port) << portal_->output();
        portal_url_ = "http://127.0.0.1:" + std::to_string(*port);
    }

    Reply curl(std::vector<std::string> args) {
        std::vector<std::string> argv{"curl", "-sS", "-w", "\n%{http_code}"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto [code, out] = testing::run(argv, 60s);
        EXPECT_EQ(code, 0) << out;
        Reply r;
        const auto nl = out.rfind('\n');
        r.body = out.substr(0, nl);
        r.status = std::atoi(out.c_str() + nl + 1);
        return r;
    }
    Reply as(const std::string& key, std::vector<std::string> args) {
        args.insert(args.begin(), {"-H", "Authorization: Bearer " + key});
        return curl(std::move(args));
    }
    fs::path make_file(const std::string& name, std::size_t size) {
        const auto path = dir_ / name;
        std::ofstream out(path, std::ios::binary);
        for (std::size_t i = 0; i < size; ++i) {
            out.put(static_cast<char>((i * 2654435761U) >> 13));
        }
        return path;
    }
    std::string upload(const fs::path& file, const std::string& name) {
        const auto r = as(kAlice, {"-T", file.string(), portal_url_ + "/v1/files/" + name});
        EXPECT_EQ(r.status, 201) << r.body;
        return r.body;
    }
    std::string link(const std::string& name, const std::string& body = "{}") {
        const auto r = as(kAlice, {"-d", body, portal_url_ + "/v1/files/" + name + "/links"});
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(json::parse(r.body).at("url").as_string());
    }
    // The objects in the portal's locker on zone z (1-based), as its Status_Query lists
    // them ({"name", "size", "expiry_s"}).
    json::array objects_on(int z) {
        const auto [code, token] =
            testing::run({bin_path("decade-server"), "token", "--secret", kSecretHex, "--locker",
                          "portal", "--ops", "status"},
                         10s, {.separate_stderr = true});
        EXPECT_EQ(code, 0);
        const auto r = curl({"-H", "Authorization: Bearer " + token.substr(0, token.find('\n')),
                             zone_urls_[z - 1] + "/v1/lockers/portal/status"});
        EXPECT_EQ(r.status, 200) << r.body;
        const auto v = json::parse(r.body);
        const auto* objects = v.as_object().if_contains("objects");
        return objects == nullptr ? json::array{} : objects->as_array();
    }
    // Top-level lines for portal.toml, for a fixture that needs other settings.
    virtual std::string portal_settings() const { return {}; }

    testing::TempDir tmp_{"p2pls-platform"};
    fs::path dir_ = tmp_.path();
    testing::Processes procs_{dir_};
    std::vector<std::string> zone_urls_;
    std::vector<testing::ChildProcess*> zones_;
    testing::ChildProcess* alto_ = nullptr;
    testing::ChildProcess* portal_ = nullptr;
    std::string portal_url_;
};

}  // namespace p2pls
