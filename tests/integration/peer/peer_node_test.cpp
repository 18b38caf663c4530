// PeerNode over loopback: an origin node publishing signed chunks and a viewer that
// bootstraps to it, in one process (the io_context runs on its own thread). Hostile
// neighbours then probe the viewer with bad input: each probe's connection is closed,
// the viewer keeps playing and keeps its good neighbour.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>
#include "common/core/chunk_bitmap.hpp"
#include "common/core/peer_codec.hpp"
#include "peer/net/peer_node.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/wire_client.hpp"

// PEER_DEBUG=1 shows the nodes' debug log.
struct DebugLog : ::testing::Environment {
    void SetUp() override {
        if (std::getenv("PEER_DEBUG") != nullptr) {
            spdlog::set_level(spdlog::level::debug);
        }
    }
};
const auto* const kDebugLog = ::testing::AddGlobalTestEnvironment(new DebugLog);

namespace p2pls::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

const KeyPair kKeys = keypair_from_seed(KeySeed{7, 7, 7});
constexpr auto kChunk = 200ms;  // short chunks keep the test quick

peer::EngineConfig engine_config(bool origin, const std::string& id) {
    peer::EngineConfig c;
    c.channel = "probe";
    c.peer_id = PeerId{id};
    c.public_key = kKeys.public_key;
    c.origin = origin;
    if (origin) {
        c.source_key = kKeys.secret_key;
    }
    c.chunk_duration = kChunk;
    c.startup_lag = 6 * kChunk;
    c.startup_buffer = 2 * kChunk;
    c.skip_after = 5 * kChunk;
    c.urgent_window = 5 * kChunk;
    return c;
}

// Probes are raw peer-wire clients to the viewer (or the origin).
using Probe = testing::WireClient;

wire::PeerMessage hello(const std::string& channel, std::uint32_t version = kWireVersion) {
    wire::PeerMessage m;
    m.mutable_hello()->set_version(version);
    m.mutable_hello()->set_channel(channel);
    m.mutable_hello()->set_peer_id("prober");
    return m;
}

class PeerNodeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        PeerNodeConfig oc;
        oc.engine = engine_config(true, "origin");
        oc.engine.upload_limit_bytes_per_s = 4'000'000;
        oc.max_queued_bytes = 256 * 1024;
        origin_ = std::make_unique<PeerNode>(io_, oc);
        ASSERT_TRUE(origin_->start());

        PeerNodeConfig vc;
        vc.engine = engine_config(false, "viewer");
        vc.key_from_tracker = false;
        vc.bootstrap = {"127.0.0.1:" + std::to_string(origin_->listen_port())};
        viewer_ = std::make_unique<PeerNode>(io_, vc);
        ASSERT_TRUE(viewer_->start());

        publish_next();
        thread_ = std::thread([this] { io_.run(); });
    }

    void TearDown() override {
        // stop() calls back once the node's writers have flushed their Byes and its
        // sockets are closed: only then may the io_context stop.
        std::atomic<int> stopped{0};
        on_io([this, &stopped] {
            publisher_.cancel();
            viewer_->stop([&stopped] { ++stopped; });
            origin_->stop([&stopped] { ++stopped; });
        });
        EXPECT_TRUE(testing::wait_until([&stopped] { return stopped.load() == 2; }, 5s))
            << "a node did not finish stopping";
        work_.reset();
        io_.stop();
        thread_.join();
    }

    void publish_next() {
        wire::Chunk c;
        c.set_seq(seq_);
        c.set_timestamp_us(static_cast<std::int64_t>(seq_) * 200'000);
        c.set_duration_us(200'000);
        c.set_payload(std::string(10'000, static_cast<char>('a' + seq_ % 26)));
        sign_chunk(kKeys.secret_key, "probe", c);
        ++seq_;
        origin_->publish(std::move(c));
        publisher_.expires_after(kChunk);
        publisher_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                publish_next();
            }
        });
    }

    template <class F>
    auto on_io(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        return result.get();
    }

    report::QoeReport viewer_report() {
        return on_io([this] { return viewer_->report(); });
    }

    // Polls the viewer's report until pred holds or the deadline passes.
    template <class Pred>
    bool eventually(Pred pred, std::chrono::milliseconds deadline = 10s) {
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (std::chrono::steady_clock::now() < end) {
            if (pred(viewer_report())) {
                return true;
            }
            std::this_thread::sleep_for(50ms);
        }
        return pred(viewer_report());
    }

    std::uint16_t viewer_port() {
        return on_io([this] { return viewer_->listen_port(); });
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    asio::steady_timer publisher_{io_};
    std::unique_ptr<PeerNode> origin_;
    std::unique_ptr<PeerNode> viewer_;
    std::uint64_t seq_ = 1;
    std::thread thread_;
};

TEST_F(PeerNodeTest, ViewerFetchesFromOriginAndPlays) {
    ASSERT_TRUE(eventually([](const auto& r) { return r.startup_delay_s() >= 0; }));
    ASSERT_TRUE(eventually([](const auto& r) { return r.chunks_due() >= 10; }));
    const auto r = viewer_report();
    EXPECT_EQ(r.chunks_missed(), 0u);
    // Its one neighbour is the origin, met through --bootstrap: it signed our Hello's nonce
    // with the channel key, so it counts as the source.
    EXPECT_GT(r.bytes_from_source(), 0u);
    EXPECT_EQ(r.bytes_from_peers(), 0u);
    EXPECT_EQ(r.neighbors(), 1u);
}

TEST_F(PeerNodeTest, HostileNeighboursAreClosedAndTheViewerCarriesOn) {
    ASSERT_TRUE(eventually([](const auto& r) { return r.chunks_due() >= 3; }));
    const std::uint16_t port = viewer_port();

    struct ProbeCase {
        const char* name;
        std::function<void(Probe&)> act;
    };
    wire::PeerMessage short_map;
    short_map.mutable_buffer_map()->set_base(1);
    short_map.mutable_buffer_map()->set_window(64);
    short_map.mutable_buffer_map()->set_bits("\x01");
    wire::PeerMessage far_request;
    far_request.mutable_request()->add_seqs(1'000'000'000'000ULL);
    wire::PeerMessage stray_chunk;
    stray_chunk.mutable_chunk()->set_seq(3);
    stray_chunk.mutable_chunk()->set_payload("nobody asked");
    const std::vector<ProbeCase> cases = {
        {"garbage bytes", [](Probe& p) { p.send_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); }},
        {"4 GiB length prefix", [](Probe& p) { p.send_bytes(std::string(4, '\xff')); }},
        {"zero-length frame", [](Probe& p) { p.send_bytes(std::string(4, '\0')); }},
        {"hello for another channel", [](Probe& p) { p.send(hello("other")); }},
        {"hello for another version", [](Probe& p) { p.send(hello("probe", 99)); }},
        {"wrong-length buffer map",
         [&](Probe& p) {
             p.send(hello("probe"));
             p.send(short_map);
         }},
        {"out-of-window request",
         [&](Probe& p) {
             p.send(hello("probe"));
             p.send(far_request);
         }},
        {"unsolicited chunk",
         [&](Probe& p) {
             p.send(hello("probe"));
             p.send(stray_chunk);
         }},
        {"control frame over the control cap",
         [](Probe& p) {
             wire::PeerMessage have;
             for (std::uint64_t i = 0; i < kMaxControlFrameBytes / 4; ++i) {
                 have.mutable_have()->add_seqs(i + (std::uint64_t{1} << 40));
             }
             p.send(hello("probe"));
             p.send(have);
         }},
        {"source proof from a neighbour that claimed nothing, then junk",
         [](Probe& p) {
             wire::PeerMessage proof;
             proof.mutable_source_proof()->set_signature(std::string(64, 's'));
             p.send(hello("probe"));
             p.send(proof);
             p.send_bytes(std::string(4, '\0'));
         }},
        {"stream stops mid-frame",
         [](Probe& p) {
             p.send_bytes(std::string("\x00\x00\x01\x00", 4) + "only ten b");
             p.shutdown_write();
         }},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Probe probe(port);
        ASSERT_TRUE(probe.connected());
        c.act(probe);
        EXPECT_TRUE(probe.closed_within(5s));
    }
    // The viewer kept its source and keeps playing without a miss.
    const auto before = viewer_report().chunks_due();
    ASSERT_TRUE(eventually([&](const auto& r) { return r.chunks_due() >= before + 5; }));
    const auto r = viewer_report();
    EXPECT_EQ(r.neighbors(), 1u);
    EXPECT_EQ(r.chunks_missed(), 0u);
    EXPECT_EQ(r.chunks_rejected(), 0u);
}

TEST_F(PeerNodeTest, ManyProbesInParallelDoNotGrowTheViewer) {
    ASSERT_TRUE(eventually([](const auto& r) { return r.chunks_due() >= 3; }));
    const std::uint16_t port = viewer_port();
    std::vector<std::unique_ptr<Probe>> probes;
    for (int i = 0; i < 40; ++i) {
        probes.push_back(std::make_unique<Probe>(port));
        // Half a frame each: the viewer must not buffer more than the cap per connection.
        probes.back()->send_bytes(std::string("\x00\x3f\xff\xff", 4) + std::string(1000, 'z'));
    }
    // The table is bounded (2M): most are refused; none of them breaks playback.
    const auto before = viewer_report().chunks_due();
    ASSERT_TRUE(eventually([&](const auto& r) { return r.chunks_due() >= before + 5; }));
    EXPECT_EQ(viewer_report().chunks_missed(), 0u);
}

TEST_F(PeerNodeTest, ANeighbourThatStopsReadingIsClosedNotBufferedForever) {
    ASSERT_TRUE(eventually([](const auto& r) { return r.chunks_due() >= 3; }));
    const std::uint16_t port = on_io([this] { return origin_->listen_port(); });
    Probe greedy(port);
    ASSERT_TRUE(greedy.connected());
    greedy.send(hello("probe"));
    // Ask for everything the origin holds, again and again, and never read a byte. Marked
    // due soon, so the origin's spread (source_spread.hpp) does not hold repeats back.
    bool closed = false;
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (!closed && std::chrono::steady_clock::now() < end) {
        wire::PeerMessage ask;
        ask.mutable_request()->set_due_soon(true);
        const std::uint64_t newest = seq_ - 1;
        for (std::uint64_t s = newest > 30 ? newest - 30 : 1; s <= newest; ++s) {
            ask.mutable_request()->add_seqs(s);
        }
        greedy.send(ask);
        closed = greedy.hung_up_within(100ms);
    }
    EXPECT_TRUE(closed) << "the origin kept queueing for a peer that does not read";
    // The viewer is served all along.
    const auto before = viewer_report().chunks_due();
    ASSERT_TRUE(eventually([&](const auto& r) { return r.chunks_due() >= before + 5; }));
    EXPECT_EQ(viewer_report().chunks_missed(), 0u);
}

}  // namespace
}  // namespace p2pls::net
