// Every role's /metrics, from the real executables on loopback, passes Prometheus's own
// linter (promtool check metrics: names, types, HELP, the _total suffix of counters) and
// carries the families an operator's dashboards and alerts read (deploy/prometheus).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace p2pls {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using p2pls::testing::bin_path;
using p2pls::testing::ChildOptions;
using p2pls::testing::ChildProcess;
using p2pls::testing::ServerProcess;
using p2pls::testing::TempDir;

// The body of GET `path` at 127.0.0.1:`port`; empty when nothing answered 200.
std::string http_get(std::uint16_t port, const std::string& path) {
    namespace asio = boost::asio;
    try {
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        s.connect({asio::ip::make_address("127.0.0.1"), port});
        const std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        asio::write(s, asio::buffer(req));
        std::string out;
        boost::system::error_code ec;
        asio::read(s, asio::dynamic_buffer(out), ec);
        if (out.rfind("HTTP/1.1 200", 0) != 0)
            return {};
        const auto body = out.find("\r\n\r\n");
        return body == std::string::npos ? std::string() : out.substr(body + 4);
    } catch (const std::exception&) {
        return {};
    }
}

// The value of the first sample of `family` (no labels), or -1 when absent.
double sample(const std::string& text, const std::string& family) {
    std::smatch m;
    if (std::regex_search(text, m, std::regex("\n" + family + " ([-0-9.e+]+)\n"))) {
        return std::stod(m[1]);
    }
    return -1;
}

class MetricsExposition : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::getenv("P2PLS_BIN_DIR") == nullptr)
            GTEST_SKIP() << "run through ctest";
        if (p2pls::testing::run({"promtool", "--version"}, 10s).first != 0) {
            GTEST_SKIP() << "promtool absent (Debian package prometheus; scripts/setup.sh)";
        }
    }
    void TearDown() override {
        processes_.clear();
        servers_.clear();
        if (HasFailure())
            tmp_.keep();
    }
    ChildProcess& spawn(const std::string& exe, std::vector<std::string> args) {
        return processes_.spawn(exe, std::move(args), {"DISPLAY=", "WAYLAND_DISPLAY="});
    }
    ServerProcess& server(const std::string& exe, std::vector<std::string> args) {
        servers_.push_back(
            std::make_unique<ServerProcess>(bin_path(exe), dir_ / (exe + ".port"),
                                            ChildOptions{.log_file = dir_ / (exe + ".log")}));
        EXPECT_TRUE(servers_.back()->start(std::move(args))) << servers_.back()->output();
        return *servers_.back();
    }
    // The port in the first match of `pattern` (one group) in `child`'s output.
    static std::uint16_t port_from(ChildProcess& child, const std::string& pattern) {
        std::uint16_t port = 0;
        child.wait_for_output(
            [&](const std::string& out) {
                std::smatch m;
                if (!std::regex_search(out, m, std::regex(pattern)))
                    return false;
                port = static_cast<std::uint16_t>(std::stoi(m[1]));
                return true;
            },
            40s);
        return port;
    }
    // promtool's verdict on `text`: empty when clean, else its complaints.
    std::string lint(const std::string& role, const std::string& text) {
        const auto file = dir_ / (role + ".prom");
        std::ofstream(file) << text;
        const auto [code, out] = p2pls::testing::run(
            {"sh", "-c", "promtool check metrics < \"$0\"", file.string()}, 30s);
        return code == 0 && out.empty() ? std::string()
                                        : "exit " + std::to_string(code) + ": " + out;
    }

    TempDir tmp_{"p2pls-metrics"};
    const fs::path dir_ = tmp_.path();
    std::vector<std::unique_ptr<ServerProcess>> servers_;
    p2pls::testing::Processes processes_{dir_};
};

TEST_F(MetricsExposition, EveryRolePassesPromtoolWithItsFamilies) {
    auto& tracker = server("p2pls-tracker", {"--interval", "1"});
    auto& decade = server("decade-server", {"--dev-open"});
    auto& alto = server("p2pls-alto", {});
    // The portal with one zone, which it asks nothing of until a publisher uploads.
    std::ofstream(dir_ / "portal.secret") << std::string(64, 'a') << "\n";
    std::ofstream(dir_ / "publishers.toml")
        << "[[publishers]]\nname = \"alice\"\nkey_sha256 = \"" << std::string(64, 'b') << "\"\n";
    std::ofstream(dir_ / "portal.toml")
        << "publishers_file = \"publishers.toml\"\ncatalog_file = \"catalog.json\"\n"
           "key_file = \"portal.key\"\n[[zones]]\nname = \"z\"\nurl = \""
        << decade.url() << "\"\naddress = \"127.0.0.1\"\nlocker = \"portal\"\n"
        << "secret_file = \"portal.secret\"\n";
    auto& portal = server("p2pls-portal", {"--config", (dir_ / "portal.toml").string()});
    auto& source = spawn(
        "p2pls-source", {"--tracker", tracker.url(), "--channel", "live", "--listen", "127.0.0.1:0",
                         "--key", (dir_ / "live.key").string(), "--http", "0"});
    const auto source_port = port_from(source, R"(metrics on http://127\.0\.0\.1:(\d+)/metrics)");
    ASSERT_NE(source_port, 0) << source.output();
    auto& peer = spawn("p2pls-peer", {"--tracker", tracker.url(), "--channel", "live", "--listen",
                                      "127.0.0.1:0", "--http", "0"});
    const auto peer_port = port_from(peer, R"(stats on http://127\.0\.0\.1:(\d+)/stats)");
    ASSERT_NE(peer_port, 0) << peer.output();
    auto& player = spawn("p2pls-player", {"--tracker", tracker.url(), "--channel", "live", "--sink",
                                          "fake", "--http-out", "0", "--join-timeout", "20"});
    const auto player_port = port_from(player, R"(watch in a browser: http://127\.0\.0\.1:(\d+)/)");
    ASSERT_NE(player_port, 0) << player.output();
    // Figures worth linting: the player has played and the source has cut a few chunks.
    ASSERT_TRUE(player.wait_for_output("first frame decoded", 40s)) << player.output();

    struct Role {
        std::string name;
        std::uint16_t port;
        std::vector<std::string> families;  // must be present
    };
    const std::vector<Role> roles{
        {"tracker", tracker.port(), {"p2pls_tracker_channels", "p2pls_tracker_announces_total"}},
        {"decade-server",
         decade.port(),
         {"decade_capacity_bytes", "decade_blob_bytes", "decade_lockers"}},
        {"source",
         source_port,
         {"p2pls_source_chunks_total", "p2pls_source_live_seq",
          "p2pls_peer_upload_media_bytes_total"}},
        {"peer", peer_port, {"p2pls_peer_chunks_due_total", "p2pls_peer_bytes_from_decade_total"}},
        {"alto", alto.port(), {"p2pls_alto_pids", "p2pls_alto_reloads_total"}},
        {"portal", portal.port(), {"p2pls_portal_files"}},
        {"player",
         player_port,
         {"p2pls_player_startup_delay_seconds", "p2pls_player_hls_window_segments",
          "p2pls_peer_bytes_from_source_total"}},
    };
    for (const Role& role : roles) {
        SCOPED_TRACE(role.name);
        const std::string text = http_get(role.port, "/metrics");
        ASSERT_FALSE(text.empty()) << "no 200 from /metrics";
        EXPECT_EQ(lint(role.name, text), "") << text;
        for (const auto& family : role.families) {
            EXPECT_NE(text.find("# TYPE " + family + " "), std::string::npos) << family;
        }
    }
    // The figures are live, not placeholders.
    EXPECT_GE(sample(http_get(source_port, "/metrics"), "p2pls_source_chunks_total"), 1);
    EXPECT_GE(sample(http_get(source_port, "/metrics"), "p2pls_source_live_seq"), 0);
    EXPECT_GT(sample(http_get(player_port, "/metrics"), "p2pls_player_startup_delay_seconds"), 0);
    EXPECT_GE(sample(http_get(tracker.port(), "/metrics"), "p2pls_tracker_channels"), 1);
}

}  // namespace
}  // namespace p2pls
