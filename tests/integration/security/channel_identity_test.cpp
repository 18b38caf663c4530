// Channel identity under attack, against real p2pls-tracker, p2pls-source, p2pls-peer and
// decade-server processes on loopback. Each test plays one attack from the open network
// and then checks what the honest users still see: the channel keeps its key and its
// source, viewers get the real key and play verified chunks, DECADE peers get the real
// server.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/core/announce_signature.hpp"
#include "common/core/base64.hpp"
#include "common/core/peer_codec.hpp"
#include "common/core/proto_json.hpp"
#include "common/core/registration_proof.hpp"
#include "p2pls/peer.pb.h"
#include "p2pls/tracker.pb.h"
#include "tests/integration/peer/last_report.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/signed_source.hpp"
#include "tests/support/wire_client.hpp"

namespace p2pls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::bin_path;
using testing::ChildOptions;
using testing::ChildProcess;
using testing::last_report;
using testing::ServerProcess;

constexpr const char* kChannel = "sec";

struct HttpReply {
    long status = 0;
    std::string body;
};

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

HttpReply http(const std::string& url, const std::optional<std::string>& post_body = {},
               const std::vector<std::string>& headers = {}) {
    HttpReply reply;
    CURL* c = curl_easy_init();
    if (c == nullptr) {
        return reply;
    }
    curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
    for (const auto& h : headers) {
        list = curl_slist_append(list, h.c_str());
    }
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    if (post_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return reply;
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A Hello on this channel, as an attacker on the wire sends it.
wire::PeerMessage wire_hello(const std::string& peer_id, bool is_source = false,
                             const std::string& listen_endpoint = "") {
    wire::PeerMessage m;
    m.mutable_hello()->set_version(kWireVersion);
    m.mutable_hello()->set_channel(kChannel);
    m.mutable_hello()->set_peer_id(peer_id);
    m.mutable_hello()->set_listen_endpoint(listen_endpoint);
    m.mutable_hello()->set_is_source(is_source);
    return m;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class ChannelIdentity : public ::testing::Test {
  protected:
    void TearDown() override {
        if (HasFailure()) {
            tmp_.keep();
        }
    }

    void start_tracker(std::vector<std::string> extra = {}, std::uint16_t port = 0) {
        tracker_.emplace(
            bin_path("p2pls-tracker"), dir() / "tracker.port",
            ChildOptions{.log_file = dir() / ("tracker" + std::to_string(runs_++) + ".log")});
        extra.insert(extra.begin(), {"--interval", "2", "--log-level", "info"});
        ASSERT_TRUE(tracker_->start(extra, port)) << tracker_->output();
    }

    // A source run of the channel under `key_file` (the same file is the same channel key).
    ServerProcess& start_source(const std::string& name, std::vector<std::string> extra = {}) {
        auto& s = sources_.emplace_back(
            std::make_unique<ServerProcess>(bin_path("p2pls-source"), dir() / (name + ".port"),
                                            ChildOptions{.log_file = dir() / (name + ".log")}));
        std::vector<std::string> args = {"--channel", kChannel,
                                         "--tracker", tracker_->url(),
                                         "--key",     (dir() / "channel.key").string(),
                                         "--bitrate", "300"};
        args.insert(args.end(), extra.begin(), extra.end());
        EXPECT_TRUE(s->start(args)) << "source did not start";
        return *s;
    }

    std::optional<tracker_api::ChannelInfo> channel() {
        const auto r = http(tracker_->url() + "/v1/channels/" + kChannel);
        tracker_api::ChannelInfo info;
        if (r.status != 200 || parse_json(r.body, info)) {
            return std::nullopt;
        }
        return info;
    }

    // Waits for the source's signed announce with a live edge of at least `edge`.
    tracker_api::ChannelInfo wait_for_source(std::uint64_t edge = 2) {
        std::optional<tracker_api::ChannelInfo> info;
        EXPECT_TRUE(testing::wait_until(
            [&] {
                info = channel();
                return info && !info->source_endpoint().empty() && info->live_edge() >= edge;
            },
            30s))
            << "the source never announced the channel";
        return info.value_or(tracker_api::ChannelInfo{});
    }

    HttpReply announce(const tracker_api::AnnounceRequest& r, const std::string& ch = kChannel) {
        return http(tracker_->url() + "/v1/channels/" + ch + "/announce", to_json(r));
    }

    // A viewer that plays for `seconds` and writes its report; extra flags appended.
    ChildProcess& start_viewer(const std::string& name, int seconds,
                               std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {bin_path("p2pls-peer"),
                                         "--tracker",
                                         tracker_->url(),
                                         "--channel",
                                         kChannel,
                                         "--peer-id",
                                         name,
                                         "--report",
                                         (dir() / (name + ".jsonl")).string(),
                                         "--duration",
                                         std::to_string(seconds)};
        args.insert(args.end(), extra.begin(), extra.end());
        auto& p = viewers_.emplace_back(std::make_unique<ChildProcess>(
            args, ChildOptions{.log_file = dir() / (name + ".log")}));
        EXPECT_TRUE(p->started());
        return *p;
    }

    std::optional<report::QoeReport> report_of(const std::string& name) {
        return last_report(dir() / (name + ".jsonl"));
    }

    // The viewer played the channel: it started and got verified chunks, none refused.
    void expect_played(const std::string& name, std::uint64_t min_due = 3) {
        const auto r = report_of(name);
        ASSERT_TRUE(r.has_value()) << name << " wrote no report";
        EXPECT_GE(r->startup_delay_s(), 0.0) << name << " never started";
        EXPECT_GE(r->chunks_due(), min_due) << name;
    }

    [[nodiscard]] const fs::path& dir() const { return tmp_.path(); }

    testing::TempDir tmp_{"p2pls-sec-identity"};
    std::optional<ServerProcess> tracker_;
    std::vector<std::unique_ptr<ServerProcess>> sources_;
    std::vector<std::unique_ptr<ChildProcess>> viewers_;
    int runs_ = 0;
};

tracker_api::AnnounceRequest source_claim(const std::string& peer_id,
                                          tracker_api::Event event = tracker_api::started) {
    tracker_api::AnnounceRequest r;
    r.set_peer_id(peer_id);
    r.set_endpoint("127.0.0.1:1");
    r.set_event(event);
    r.set_is_source(true);
    r.set_bitrate_bps(300'000);
    r.set_live_edge(1'000'000);
    return r;
}

TEST_F(ChannelIdentity, ForgedAnnounceWithTheSourcesPeerIdIsRefusedAndViewersGetTheRealKey) {
    start_tracker();
    start_source("source");
    const auto real = wait_for_source();
    ASSERT_FALSE(real.public_key().empty());
    const std::string source_id = real.source_peer_id();
    ASSERT_FALSE(source_id.empty());

    // 1. The old attack: the source's published peer id, the attacker's key, no signature.
    testing::SourceSigner attacker(testing::source_keys(66));
    auto unsigned_claim = source_claim(source_id);
    unsigned_claim.set_public_key(attacker.public_key());
    EXPECT_EQ(announce(unsigned_claim).status, 401);
    // 2. Signed, but by the attacker's own key: the channel belongs to another.
    auto own_key_claim = source_claim(source_id);
    attacker.sign(own_key_claim, kChannel, unix_now_ms());
    const auto conflict = announce(own_key_claim);
    EXPECT_EQ(conflict.status, 409) << conflict.body;
    EXPECT_NE(conflict.body.find("channel_key_conflict"), std::string::npos);
    // 3. The channel's key named, the attacker's signature.
    auto forged = source_claim(source_id);
    attacker.sign(forged, kChannel, unix_now_ms());
    forged.set_public_key(real.public_key());
    EXPECT_EQ(announce(forged).status, 401);
    // 4. A plain viewer announce under the source's peer id.
    tracker_api::AnnounceRequest viewer;
    viewer.set_peer_id(source_id);
    viewer.set_endpoint("127.0.0.1:2");
    viewer.set_event(tracker_api::started);
    EXPECT_EQ(announce(viewer).status, 409);

    const auto after = channel();
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->public_key(), real.public_key());
    EXPECT_EQ(after->source_endpoint(), real.source_endpoint());

    // A new viewer gets the real key and plays verified chunks.
    auto& v = start_viewer("newcomer", 10);
    ASSERT_TRUE(v.wait(40s).has_value());
    expect_played("newcomer");
    EXPECT_EQ(report_of("newcomer")->chunks_rejected(), 0u);
}

TEST_F(ChannelIdentity, ForgedStoppedLeavesTheSourceInPlace) {
    start_tracker();
    start_source("source");
    const auto real = wait_for_source();
    auto unsigned_stop = source_claim(real.source_peer_id(), tracker_api::stopped);
    unsigned_stop.set_public_key(real.public_key());
    EXPECT_EQ(announce(unsigned_stop).status, 401);
    testing::SourceSigner attacker(testing::source_keys(67));
    auto forged_stop = source_claim(real.source_peer_id(), tracker_api::stopped);
    attacker.sign(forged_stop, kChannel, unix_now_ms());
    forged_stop.set_public_key(real.public_key());
    EXPECT_EQ(announce(forged_stop).status, 401);
    tracker_api::AnnounceRequest viewer_stop;
    viewer_stop.set_peer_id(real.source_peer_id());
    viewer_stop.set_event(tracker_api::stopped);
    EXPECT_EQ(announce(viewer_stop).status, 409);

    const auto after = channel();
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->source_endpoint(), real.source_endpoint());
    EXPECT_EQ(after->public_key(), real.public_key());
}

TEST_F(ChannelIdentity, AfterATrackerRestartAClaimWithAnotherKeyGets409) {
    const std::string state = (dir() / "tracker.state").string();
    start_tracker({"--state-file", state});
    auto& source = start_source("source1");
    const auto real = wait_for_source();
    source.stop(SIGTERM, 5s);
    const std::uint16_t port = tracker_->port();
    tracker_->stop(SIGTERM, 5s);
    ASSERT_TRUE(fs::exists(state));

    start_tracker({"--state-file", state}, port);
    // The attacker is first after the restart, with a valid signature of its own key.
    testing::SourceSigner attacker(testing::source_keys(68));
    auto claim = source_claim("source-" + std::string(kChannel));
    attacker.sign(claim, kChannel, unix_now_ms());
    const auto r = announce(claim);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_FALSE(channel().has_value()) << "the refused claim created the channel";

    // The channel's own source comes back and gets its channel.
    start_source("source2");
    const auto back = wait_for_source(1);
    EXPECT_EQ(back.public_key(), real.public_key());
}

TEST_F(ChannelIdentity, UnauthenticatedDecadeServerRegistrationGets401AndPeersGetTheRealServer) {
    const fs::path key_file = dir() / "registration.key";
    RegistrationKey key{};
    key.fill(0x5c);
    std::ofstream(key_file) << format_registration_key(key);
    start_tracker({"--registration-key", key_file.string()});

    ServerProcess real(bin_path("decade-server"), dir() / "decade.port",
                       ChildOptions{.log_file = dir() / "decade.log"});
    ASSERT_TRUE(real.start({"--dev-open", "--allow-any-peer", "--tracker", tracker_->url(),
                            "--tracker-key", key_file.string()}));

    const auto assigned = [&] {
        tracker_api::AnnounceRequest peer;
        peer.set_peer_id("decade-viewer");
        peer.set_endpoint("127.0.0.1:3");
        peer.set_mode(wire::decade);
        peer.set_event(tracker_api::started);
        // The channel must exist for an announce: a source is not needed for the
        // server choice, so announce to a channel the test's own source key creates.
        const auto r = announce(peer, "dchan");
        tracker_api::AnnounceResponse reply;
        return r.status == 200 && !parse_json(r.body, reply) ? reply.decade_server().url()
                                                             : std::string();
    };
    testing::SourceSigner owner(testing::source_keys(3));
    auto create = source_claim("dsrc");
    owner.sign(create, "dchan", unix_now_ms());
    ASSERT_EQ(announce(create, "dchan").status, 200);
    ASSERT_TRUE(testing::wait_until([&] { return assigned() == real.url(); }, 20s))
        << "the real DECADE server never registered";

    // The fake server says load 0: without a proof, or with a made-up one, it is refused.
    const std::string fake = R"({"url":"http://127.0.0.1:9","region":"","load":0})";
    EXPECT_EQ(http(tracker_->url() + "/v1/decade-servers", fake).status, 401);
    RegistrationKey guess{};
    guess.fill(0x01);
    const auto ts = unix_now_ms();
    EXPECT_EQ(http(tracker_->url() + "/v1/decade-servers", fake,
                   {"X-P2pls-Timestamp: " + std::to_string(ts),
                    "X-P2pls-Proof: " + make_registration_proof(guess, ts, fake)})
                  .status,
              401);
    EXPECT_EQ(assigned(), real.url());
    real.stop(SIGTERM, 5s);
}

// A recorded chunk file set (the source's --record folder) as wire chunks.
std::map<std::uint64_t, wire::Chunk> read_recording(const fs::path& dir) {
    std::map<std::uint64_t, wire::Chunk> out;
    std::ifstream index(dir / "index.tsv");
    std::string line;
    std::getline(index, line);  // header
    while (std::getline(index, line)) {
        std::istringstream row(line);
        std::uint64_t seq = 0, size = 0;
        std::int64_t ts = 0;
        std::uint32_t duration = 0;
        std::string key_start, ended_by, sig_hex;
        row >> seq >> ts >> duration >> size >> key_start >> ended_by >> sig_hex;
        wire::Chunk c;
        c.set_seq(seq);
        c.set_timestamp_us(ts);
        c.set_duration_us(duration);
        char name[32];
        std::snprintf(name, sizeof name, "%06llu.ts", static_cast<unsigned long long>(seq));
        c.set_payload(read_file(dir / name));
        std::string sig;
        for (std::size_t i = 0; i + 1 < sig_hex.size(); i += 2) {
            sig.push_back(static_cast<char>(std::stoi(sig_hex.substr(i, 2), nullptr, 16)));
        }
        c.set_signature(sig);
        out.emplace(seq, std::move(c));
    }
    return out;
}

// A neighbour that connects to a viewer and says it is the source, with a live edge a
// billion chunks ahead, is a peer like any other: the viewer's playhead stays with the
// real source, and it keeps playing.
TEST_F(ChannelIdentity, AFakeSourceOnTheWireDoesNotMoveTheViewer) {
    start_tracker();
    start_source("run");
    wait_for_source(2);
    const std::uint16_t viewer_port = testing::unused_port();
    start_viewer("viewer", 20, {"--listen", "127.0.0.1:" + std::to_string(viewer_port)});
    // The fake source comes in while the viewer is joining: where it starts is at stake.
    ASSERT_TRUE(
        testing::wait_until([&] { return testing::WireClient(viewer_port).connected(); }, 10s));
    testing::WireClient attacker(viewer_port);
    ASSERT_TRUE(attacker.connected());
    attacker.send(wire_hello("fake-source", true, "127.0.0.1:4"));
    const std::uint64_t far = 1'000'000'000;
    const auto until = std::chrono::steady_clock::now() + 12s;
    while (std::chrono::steady_clock::now() < until && !attacker.closed_within(0ms)) {
        wire::PeerMessage map;
        map.mutable_buffer_map()->set_base(far);
        map.mutable_buffer_map()->set_window(64);
        map.mutable_buffer_map()->set_bits(std::string(8, '\xff'));
        map.mutable_buffer_map()->set_live_edge(far + 63);
        attacker.send(map);
        (void)attacker.next(1s);
    }

    ASSERT_TRUE(viewers_.back()->wait(40s).has_value());
    const auto r = report_of("viewer");
    ASSERT_TRUE(r.has_value());
    EXPECT_GE(r->chunks_due(), 10u) << "the viewer stopped playing the real stream";
    EXPECT_LE(r->chunks_missed(), 2u) << "its playhead followed the fake live edge";
}

// An impostor takes the port of a crashed source (the tracker still lists that endpoint)
// and replays the proof the real source once gave it for its own nonce. The viewer's
// Hello carries a fresh nonce, so the proof fails: the viewer closes the impostor, whose
// live edge moves nothing, and plays the source's next run.
TEST_F(ChannelIdentity, AnImpostorAtTheSourcesEndpointCannotProveTheKey) {
    start_tracker();
    auto& run1 = start_source("run1");
    wait_for_source(2);
    const std::uint16_t port = run1.port();

    // First, as any viewer may, the attacker meets the real source and keeps its proof.
    const std::string spy_nonce(kHelloNonceBytes, 'r');
    std::string kept_proof;
    {
        testing::WireClient spy(port);
        ASSERT_TRUE(spy.connected());
        wire::PeerMessage hello = wire_hello("spy");
        hello.mutable_hello()->set_nonce(spy_nonce);
        spy.send(hello);
        for (int i = 0; i < 10 && kept_proof.empty(); ++i) {
            if (const auto m = spy.next(1s); m && m->has_source_proof()) {
                kept_proof = m->source_proof().signature();
            }
        }
    }
    ASSERT_EQ(kept_proof.size(), 64u) << "the real source answered no nonce";
    run1.stop(SIGKILL, 5s);

    testing::WireListener impostor(port);
    ASSERT_TRUE(impostor.listening());
    start_viewer("viewer", 30);
    auto conn = impostor.accept(20s);
    ASSERT_TRUE(conn.has_value()) << "the viewer never dialed the listed source endpoint";
    conn->send(wire_hello(std::string("source-") + kChannel, true));
    std::string viewer_nonce;
    for (int i = 0; i < 5 && viewer_nonce.empty(); ++i) {
        if (const auto m = conn->next(1s); m && m->has_hello()) {
            viewer_nonce = m->hello().nonce();
        }
    }
    EXPECT_EQ(viewer_nonce.size(), kHelloNonceBytes);
    EXPECT_NE(viewer_nonce, spy_nonce);
    wire::PeerMessage proof;
    proof.mutable_source_proof()->set_signature(kept_proof);
    conn->send(proof);
    wire::PeerMessage map;
    map.mutable_buffer_map()->set_base(1'000'000'000);
    map.mutable_buffer_map()->set_window(64);
    map.mutable_buffer_map()->set_bits(std::string(8, '\xff'));
    map.mutable_buffer_map()->set_live_edge(1'000'000'063);
    conn->send(map);
    EXPECT_TRUE(conn->closed_within(5s)) << "the viewer kept a neighbour that proved nothing";

    // The broadcaster restarts the channel; the viewer plays the new run.
    start_source("run2");
    ASSERT_TRUE(viewers_.back()->wait(70s).has_value());
    const auto r = report_of("viewer");
    ASSERT_TRUE(r.has_value());
    EXPECT_GE(r->startup_delay_s(), 0.0) << "the viewer never started";
    EXPECT_GE(r->chunks_due(), 10u) << "the viewer did not play the next run";
    EXPECT_LE(r->chunks_missed(), 2u) << "its playhead followed the impostor's live edge";
    EXPECT_NE(read_file(dir() / "viewer.log").find("source proof does not verify"),
              std::string::npos);
}

TEST_F(ChannelIdentity, ChunksRecordedFromAPreviousRunAreRejectedAndTheViewerKeepsPlaying) {
    start_tracker();
    // Run 1, recorded by the attacker (any viewer could have kept its chunks).
    auto& run1 = start_source("run1", {"--record", (dir() / "rec1").string()});
    wait_for_source(12);
    run1.stop(SIGTERM, 5s);
    const auto recorded = read_recording(dir() / "rec1");
    ASSERT_GE(recorded.size(), 10u);

    // Run 2: the same key and channel, numbering from 0 again (the default --first-seq).
    start_source("run2");
    wait_for_source(2);
    const std::uint16_t viewer_port = testing::unused_port();
    start_viewer("viewer", 25, {"--listen", "127.0.0.1:" + std::to_string(viewer_port)});
    ASSERT_TRUE(testing::wait_until(
        [&] {
            const auto r = report_of("viewer");
            return r && r->startup_delay_s() >= 0;
        },
        30s))
        << "the viewer never started";

    // The attacker joins the viewer as a peer holding every recorded seq and serves the
    // old run's chunks for whatever the viewer asks.
    testing::WireClient attacker(viewer_port);
    ASSERT_TRUE(attacker.connected());
    attacker.send(wire_hello("replayer", false, "127.0.0.1:4"));
    wire::PeerMessage map;
    map.mutable_buffer_map()->set_base(0);
    map.mutable_buffer_map()->set_window(64);
    map.mutable_buffer_map()->set_bits(std::string(8, '\xff'));
    map.mutable_buffer_map()->set_live_edge(recorded.rbegin()->first);
    attacker.send(map);
    int served = 0;
    const auto until = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < until) {
        const auto m = attacker.next(1s);
        if (!m) {
            if (attacker.closed_within(0ms)) {
                break;
            }
            continue;
        }
        if (!m->has_request()) {
            continue;
        }
        for (const auto seq : m->request().seqs()) {
            if (const auto it = recorded.find(seq); it != recorded.end()) {
                wire::PeerMessage chunk;
                *chunk.mutable_chunk() = it->second;
                attacker.send(chunk);
                ++served;
            }
        }
    }
    ASSERT_GT(served, 0) << "the viewer never asked the replayer (nothing was tested)";

    ASSERT_TRUE(viewers_.back()->wait(40s).has_value());
    const auto r = report_of("viewer");
    ASSERT_TRUE(r.has_value());
    EXPECT_GE(r->chunks_rejected(), 1u) << "a replayed chunk was not refused";
    EXPECT_GE(r->chunks_due(), 10u) << "the viewer stopped playing the new run";
    EXPECT_LE(r->chunks_missed(), 2u);
}

// Not an attack but its honest twin: the same key restarts the source (a new epoch). A
// viewer watching the old run adopts the newer signed statement and plays the new run.
TEST_F(ChannelIdentity, ASourceRestartMovesAWatchingViewerToTheNewRun) {
    start_tracker();
    auto& run1 = start_source("run1");
    wait_for_source(2);
    auto& viewer = start_viewer("watcher", 50);
    ASSERT_TRUE(testing::wait_until(
        [&] {
            const auto r = report_of("watcher");
            return r && r->startup_delay_s() >= 0 && r->chunks_due() >= 6;
        },
        40s))
        << "the viewer never played the first run";
    run1.stop(SIGTERM, 5s);
    start_source("run2");
    ASSERT_TRUE(viewer.wait_for_output("the source restarted", 30s)) << viewer.output();
    // The report restarts with the engine: first the count falls back, then the new run's
    // chunks play.
    ASSERT_TRUE(testing::wait_until(
        [&] {
            const auto r = report_of("watcher");
            return r && r->chunks_due() < 6;
        },
        10s))
        << "the viewer's engine did not start over";
    ASSERT_TRUE(testing::wait_until(
        [&] {
            const auto r = report_of("watcher");
            return r && r->startup_delay_s() >= 0 && r->chunks_due() >= 3;
        },
        30s))
        << "the viewer did not play the new run";
    EXPECT_EQ(report_of("watcher")->chunks_rejected(), 0u);
    viewer.stop(SIGTERM, 5s);
}

TEST_F(ChannelIdentity, AViewerWithAPinnedKeyRefusesTheKeyTheTrackerReports) {
    start_tracker();
    start_source("source");
    const auto real = wait_for_source();
    // The viewer was told the channel's key out of band; the tracker reports another one
    // (here: the viewer's pin is another key, which is the same situation seen from it).
    const std::string wrong = base64_encode(
        testing::SourceSigner(testing::source_keys(69)).public_key(), Base64::standard);
    auto& pinned_wrong = start_viewer("pinned-wrong", 6, {"--channel-key", wrong});
    const std::string right = base64_encode(real.public_key(), Base64::standard);
    auto& pinned_right = start_viewer("pinned-right", 10, {"--channel-key", right});
    ASSERT_TRUE(pinned_wrong.wait(30s).has_value());
    ASSERT_TRUE(pinned_right.wait(40s).has_value());
    const auto refused = report_of("pinned-wrong");
    ASSERT_TRUE(refused.has_value());
    EXPECT_LT(refused->startup_delay_s(), 0.0) << "played with a key it had not pinned";
    EXPECT_NE(read_file(dir() / "pinned-wrong.log").find("refused"), std::string::npos);
    expect_played("pinned-right");
}

}  // namespace
}  // namespace p2pls
