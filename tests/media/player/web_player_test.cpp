// The web player in a real browser: a tracker, a source and p2pls-player on loopback, and
// headless Chromium (driven by web/test/watch_page.mjs through puppeteer-core) opens
// the player's page. It must decode the channel through hls.js, show the swarm's figures,
// show the stall while the source is stopped (SIGSTOP) and play on once it continues.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/browser.hpp"
#include "tests/support/child_process.hpp"
#include "ts_fixture.hpp"

namespace p2pls::player {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using p2pls::testing::bin_path;
using p2pls::testing::ChildOptions;
using p2pls::testing::ChildProcess;
using p2pls::testing::chromium_path;
using p2pls::testing::ServerProcess;
using p2pls::testing::TempDir;

const fs::path kRepo = P2PLS_SOURCE_DIR;

double number(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr)
        return -1;
    if (v->is_double())
        return v->as_double();
    if (v->is_int64())
        return static_cast<double>(v->as_int64());
    if (v->is_uint64())
        return static_cast<double>(v->as_uint64());
    return -1;
}

class WebPlayer : public ::testing::Test {
  protected:
    void SetUp() override {
        if (const auto why = p2pls::testing::browser_test_unready(kRepo); !why.empty()) {
            GTEST_SKIP() << why;
        }
        if (!fs::exists(kRepo / "web/node_modules/hls.js/dist/hls.min.js")) {
            GTEST_SKIP() << "web/node_modules not installed: run scripts/setup.sh (npm ci)";
        }
    }
    void TearDown() override {
        processes_.clear();
        tracker_.reset();
        if (HasFailure())
            tmp_.keep();
    }
    ChildProcess& spawn(const std::string& exe, std::vector<std::string> args) {
        return processes_.spawn(exe, std::move(args), {"DISPLAY=", "WAYLAND_DISPLAY="});
    }

    TempDir tmp_{"p2pls-web-player"};
    const fs::path dir_ = tmp_.path();
    std::optional<ServerProcess> tracker_;
    p2pls::testing::Processes processes_{dir_};
};

TEST_F(WebPlayer, ChromiumPlaysTheChannelShowsTheStallAndResumes) {
    tracker_.emplace(bin_path("p2pls-tracker"), dir_ / "tracker.port",
                     ChildOptions{.log_file = dir_ / "tracker.log"});
    ASSERT_TRUE(tracker_->start({"--interval", "1"})) << tracker_->output();
    auto& source =
        spawn("p2pls-source", {"--tracker", tracker_->url(), "--channel", "live", "--listen",
                               "127.0.0.1:0", "--key", (dir_ / "live.key").string()});
    ASSERT_TRUE(source.wait_for_output("serving peers on port", 20s)) << source.output();
    auto& player = spawn("p2pls-player", {"--tracker", tracker_->url(), "--channel", "live",
                                          "--sink", "fake", "--http-out", "0", "--join-timeout",
                                          "20", "--web-root", (kRepo / "web").string()});
    ASSERT_TRUE(player.wait_for_output("watch in a browser: http://", 40s)) << player.output();
    std::smatch m;
    const std::string out = player.output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(watch in a browser: (http://[0-9.:]+/))")))
        << out;

    const auto [code, text] =
        p2pls::testing::run({"node", (kRepo / "web/test/watch_page.mjs").string(), "--url",
                             m[1].str(), "--chromium", chromium_path(), "--out", dir_.string(),
                             "--pause-pid", std::to_string(source.pid()), "--play-s", "6"},
                            200s, ChildOptions{.separate_stderr = true});
    ASSERT_EQ(code, 0) << text << "\nplayer:\n" << player.output();
    json::object r;
    try {
        r = json::parse(text.substr(0, text.find('\n'))).as_object();
    } catch (const std::exception& e) {
        FAIL() << "not one JSON line (" << e.what() << "): " << text;
    }
    SCOPED_TRACE(json::serialize(r));

    // The first frame came, the playhead moved for (nearly) all of the watched time, and
    // the picture is the test pattern's bars, not a black box.
    EXPECT_GT(number(r, "firstFrameMs"), 0);
    EXPECT_GE(number(r, "advancedS"), 5.0);
    EXPECT_GT(number(r, "contrast"), 10.0);
    const auto& size = r.at("videoSize").as_array();
    EXPECT_GT(size.at(0).to_number<double>(), 0);

    // The panel shows the player's startup and bytes that came from the source.
    const auto& panel = r.at("panel").as_object();
    EXPECT_NE(panel.at("s-startup").as_string(), "–");
    EXPECT_NE(panel.at("s-from-source").as_string(), "0 B");
    EXPECT_NE(panel.at("s-page-startup").as_string(), "–");

    // Source stopped: the page said so; source continued: playback moved on again.
    EXPECT_TRUE(r.at("stalled").is_bool() && r.at("stalled").as_bool());
    EXPECT_TRUE(r.at("resumed").is_bool() && r.at("resumed").as_bool());
    const auto& page = r.at("page").as_object();
    EXPECT_TRUE(page.at("errors").as_array().empty());
    EXPECT_GE(number(page, "stalls"), 1);
    EXPECT_TRUE(r.at("consoleErrors").as_array().empty());
    // The only HTTP error a page may see is the playlist's 503 before the first chunk has
    // played (hls.js retries it as Retry-After says).
    for (const auto& e : r.at("httpErrors").as_array()) {
        const auto& o = e.as_object();
        EXPECT_EQ(o.at("url").as_string(), "/live.m3u8") << json::serialize(o);
        EXPECT_EQ(number(o, "status"), 503) << json::serialize(o);
    }
    EXPECT_TRUE(player.running()) << "the player must outlive the browser:\n" << player.output();
}

}  // namespace
}  // namespace p2pls::player
