// Real processes over loopback in DECADE mode: p2pls-tracker + 2 decade-servers
// + p2pls-source --mode decade + 10 p2pls-peer --mode decade for 30 s. Every peer plays,
// no peer writes a media byte to its own sockets, and each server stores every object
// once however many lockers hold it. A second run kills one server mid-stream: its peers
// fall back to native fetching and keep playing.
#include <curl/curl.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/core/registration_proof.hpp"
#include "p2pls/report.pb.h"
#include "p2pls/tracker.pb.h"
#include "tests/integration/peer/last_report.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::bin_path;
using testing::ChildOptions;
using testing::ChildProcess;
using testing::last_report;
using testing::ServerProcess;
using testing::wait_until;

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

// GET url -> body ("" on failure). From a source address of its own, as an operator's
// scraper on another host would: the source's keep-alive connections from 127.0.0.1 may
// hold every connection slot the server gives that address.
std::string http_get(const std::string& url) {
    std::string body;
    CURL* c = curl_easy_init();
    if (c == nullptr) {
        return body;
    }
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_INTERFACE, "host!127.0.0.250");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) != CURLE_OK) {
        body.clear();
    }
    curl_easy_cleanup(c);
    return body;
}

// POST a JSON body -> HTTP status (0 on failure).
// The DECADE servers' registration key, which the test's tracker is given.
const RegistrationKey kRegistrationKey = [] {
    RegistrationKey k{};
    k.fill(0x2d);
    return k;
}();

// POSTs `json`, with a registration proof of kRegistrationKey (what decade-server sends).
long http_post_json(const std::string& url, const std::string& json) {
    CURL* c = curl_easy_init();
    if (c == nullptr) {
        return 0;
    }
    std::string body;
    const std::int64_t ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, ("X-P2pls-Timestamp: " + std::to_string(ts)).c_str());
    headers = curl_slist_append(
        headers, ("X-P2pls-Proof: " + make_registration_proof(kRegistrationKey, ts, json)).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

// Value of an unlabelled Prometheus sample, or -1.
double metric(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name + " ", 0) == 0) {
            return std::stod(line.substr(name.size() + 1));
        }
    }
    return -1;
}

class DecadeSwarm {
  public:
    explicit DecadeSwarm(const std::string& tag) : tmp_("p2pls-decade-" + tag) {}
    ~DecadeSwarm() {
        peers.clear();
        source.reset();
        servers.clear();
        tracker.reset();
        if (::testing::Test::HasFailure()) {
            tmp_.keep();  // the logs, for reading after the run
        }
    }

    void start(const std::string& source_upload) {
        tracker.emplace(bin_path("p2pls-tracker"), dir_ / "tracker.port",
                        ChildOptions{.log_file = dir_ / "tracker.log"});
        std::ofstream(dir_ / "registration.key") << format_registration_key(kRegistrationKey);
        ASSERT_TRUE(tracker->start(
            {"--interval", "2", "--registration-key", (dir_ / "registration.key").string()}))
            << "tracker did not start";
        tracker_url = tracker->url();
        for (int i = 0; i < 2; ++i) {
            const std::string n = std::to_string(i);
            auto& server =
                servers.emplace_back(bin_path("decade-server"), dir_ / ("decade" + n + ".port"),
                                     ChildOptions{.log_file = dir_ / ("decade" + n + ".log")});
            ASSERT_TRUE(server.start(
                {"--dev-open", "--allow-any-peer", "--slots", "4", "--region", "r" + n}))
                << "decade-server " << i << " did not start";
            server_urls.push_back(server.url());
        }
        source.emplace(bin_path("p2pls-source"), dir_ / "source.port",
                       ChildOptions{.log_file = dir_ / "source.log"});
        ASSERT_TRUE(source->start({"--channel", "dtest", "--tracker", tracker_url, "--key",
                                   (dir_ / "dtest.key").string(), "--upload-limit", source_upload,
                                   "--bitrate", "500", "--mode", "decade", "--decade-server",
                                   server_urls[0], "--decade-local-address", "127.0.0.2"}))
            << "source did not start";
        // The crowd comes once a few chunks exist: the tracker has heard the source's edge.
        ASSERT_TRUE(wait_until([this] { return tracker_live_edge() >= 3; }, 30s))
            << "the source published no chunks";
    }

    // The channel's live edge as the tracker lists it; 0 while unknown.
    [[nodiscard]] std::uint64_t tracker_live_edge() const {
        tracker_api::ChannelList list;
        if (!google::protobuf::util::JsonStringToMessage(http_get(tracker_url + "/v1/channels"),
                                                         &list)
                 .ok()) {
            return 0;
        }
        for (const auto& c : list.channels()) {
            if (c.name() == "dtest") {
                return c.live_edge();
            }
        }
        return 0;
    }

    // Peer i uses server i % 2, named with --decade-server; when `tracker_assigns`, every
    // third peer names none and takes the tracker's nearest DECADE server instead.
    void add_peers(int count, int duration_s, bool tracker_assigns = false) {
        for (int i = 0; i < count; ++i) {
            const std::string n = std::to_string(i);
            std::vector<std::string> args{bin_path("p2pls-peer"),
                                          "--tracker",
                                          tracker_url,
                                          "--channel",
                                          "dtest",
                                          "--peer-id",
                                          "dpeer-" + n,
                                          "--report",
                                          report_path(i).string(),
                                          "--duration",
                                          std::to_string(duration_s),
                                          "--mode",
                                          "decade",
                                          "--decade-local-address",
                                          "127.0.0." + std::to_string(10 + i)};
            if (!tracker_assigns || i % 3 != 2) {
                args.push_back("--decade-server");
                args.push_back(server_urls[static_cast<std::size_t>(i % 2)]);
            }
            peers.emplace_back(std::move(args),
                               ChildOptions{.log_file = dir_ / ("peer" + n + ".log")});
            ASSERT_TRUE(peers.back().started());
        }
    }

    [[nodiscard]] fs::path report_path(int i) const {
        return dir_ / ("r" + std::to_string(i) + ".jsonl");
    }

    std::optional<ServerProcess> tracker, source;
    std::vector<ServerProcess> servers;
    std::vector<ChildProcess> peers;
    std::vector<std::string> server_urls;
    std::string tracker_url;

  private:
    testing::TempDir tmp_;
    const fs::path dir_ = tmp_.path();
};

TEST(DecadeProcesses, TenDecadePeersPlayWithNoMediaOnTheirSocketsAndServersDedup) {
    DecadeSwarm swarm("play");
    swarm.start("250k");
    if (::testing::Test::HasFatalFailure()) {
        return;
    }
    // The tracker knows both servers: peers that name none get the nearest.
    for (std::size_t i = 0; i < swarm.server_urls.size(); ++i) {
        const std::string json =
            "{\"url\":\"" + swarm.server_urls[i] + "\",\"region\":\"r" + std::to_string(i) + "\"}";
        const long status = http_post_json(swarm.tracker_url + "/v1/decade-servers", json);
        ASSERT_TRUE(status == 200 || status == 201) << "register DECADE server: " << status;
    }
    constexpr int kPeers = 10;
    swarm.add_peers(kPeers, 30, /*tracker_assigns=*/true);
    for (auto& p : swarm.peers) {
        const auto code = p.wait(70s);
        ASSERT_TRUE(code.has_value()) << "a peer did not leave after --duration";
        EXPECT_EQ(*code, 0);
    }
    std::uint64_t due = 0, missed = 0;
    for (int i = 0; i < kPeers; ++i) {
        const auto r = last_report(swarm.report_path(i));
        ASSERT_TRUE(r.has_value()) << "peer " << i << " wrote no report";
        SCOPED_TRACE(r->peer_id());
        EXPECT_TRUE(r->final());
        EXPECT_EQ(r->mode(), "decade");
        EXPECT_GE(r->startup_delay_s(), 0.0) << "never started";
        EXPECT_GT(r->chunks_due(), 10u);
        EXPECT_EQ(r->chunks_rejected(), 0u);
        EXPECT_EQ(r->socket_media_bytes_sent(), 0u) << "media on the peer's own sockets";
        EXPECT_EQ(r->upload_media_bytes(), 0u);
        EXPECT_GT(r->bytes_from_decade(), 0u);
        due += r->chunks_due();
        missed += r->chunks_missed();
    }
    EXPECT_LE(static_cast<double>(missed), 0.01 * static_cast<double>(due))
        << missed << " of " << due << " missed";
    // Every object is stored once per server however many lockers hold it.
    for (const auto& url : swarm.server_urls) {
        const std::string m = http_get(url + "/metrics");
        const double logical = metric(m, "decade_logical_bytes");
        const double blobs = metric(m, "decade_blob_bytes");
        SCOPED_TRACE(url);
        ASSERT_GT(blobs, 0.0) << m.substr(0, 2000);
        EXPECT_GT(logical, 2.0 * blobs) << "logical " << logical << " blob bytes " << blobs;
    }
}

TEST(DecadeProcesses, ServerKilledMidStreamPeersFallBackAndKeepPlaying) {
    DecadeSwarm swarm("kill");
    swarm.start("1M");  // room for the native fallbacks of the orphaned peers
    if (::testing::Test::HasFatalFailure()) {
        return;
    }
    constexpr int kPeers = 6;
    swarm.add_peers(kPeers, 30);
    // Mid-stream: every peer has played a few chunks before its server goes.
    ASSERT_TRUE(wait_until(
        [&swarm] {
            for (int i = 0; i < kPeers; ++i) {
                const auto r = last_report(swarm.report_path(i));
                if (!r || r->chunks_due() - r->chunks_missed() < 8) {
                    return false;
                }
            }
            return true;
        },
        40s))
        << "the peers did not get going";
    swarm.servers[1].stop(SIGTERM, 1s);
    for (auto& p : swarm.peers) {
        const auto code = p.wait(70s);
        ASSERT_TRUE(code.has_value()) << "a peer did not leave after --duration";
        EXPECT_EQ(*code, 0);
    }
    for (int i = 0; i < kPeers; ++i) {
        const auto r = last_report(swarm.report_path(i));
        ASSERT_TRUE(r.has_value()) << "peer " << i << " wrote no report";
        SCOPED_TRACE(r->peer_id());
        EXPECT_GE(r->startup_delay_s(), 0.0) << "never started";
        EXPECT_EQ(r->socket_media_bytes_sent(), 0u);
        // Played on after the kill: chunks came due for the whole run (stalls, if any,
        // are in r->freezes() / r->stalled_s()).
        EXPECT_GT(r->chunks_due(), 20u);
        EXPECT_LE(r->chunks_missed(), r->chunks_due() / 5);
        if (i % 2 == 1) {
            EXPECT_GT(r->fallbacks(), 0u) << "its server died: it must have fetched natively";
            EXPECT_GT(r->bytes_from_source(), 0u);
        }
        std::printf("%s: due %lu missed %lu freezes %u stalled %.1f s fallbacks %lu\n",
                    r->peer_id().c_str(), r->chunks_due(), r->chunks_missed(), r->freezes(),
                    r->stalled_s(), r->fallbacks());
    }
}

TEST(DecadeProcesses, PeerWhoseServerNeverAnswersPlaysNatively) {
    DecadeSwarm swarm("noserver");
    swarm.start("1M");
    if (::testing::Test::HasFatalFailure()) {
        return;
    }
    const std::string dead = "http://127.0.0.1:" + std::to_string(testing::unused_port());
    ChildProcess peer({bin_path("p2pls-peer"), "--tracker", swarm.tracker_url, "--channel", "dtest",
                       "--peer-id", "orphan", "--report", swarm.report_path(0).string(),
                       "--duration", "25", "--mode", "decade", "--decade-server", dead},
                      ChildOptions{.log_file = swarm.report_path(0).string() + ".log"});
    ASSERT_TRUE(peer.started());
    const auto code = peer.wait(60s);
    ASSERT_TRUE(code.has_value()) << "the peer did not leave after --duration";
    EXPECT_EQ(*code, 0);
    const auto r = last_report(swarm.report_path(0));
    ASSERT_TRUE(r.has_value()) << "no report";
    EXPECT_EQ(r->mode(), "native") << "it gave up on its DECADE server";
    EXPECT_GE(r->startup_delay_s(), 0.0) << "never started";
    EXPECT_GT(r->chunks_due(), 5u);
    EXPECT_LE(r->chunks_missed(), r->chunks_due() / 5);
    EXPECT_NE(peer.output().find("playing natively instead"), std::string::npos)
        << peer.output().substr(0, 2000);
}

}  // namespace
}  // namespace p2pls
