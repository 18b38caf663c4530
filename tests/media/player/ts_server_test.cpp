// The local HTTP output against real clients: ffprobe decodes H.264 from /stream.ts (one
// and two at once) and from the HLS window (/live.m3u8), a reader that stops reading is
// dropped while another keeps every byte, the playlist and segments say what RFC 8216
// asks, and bad requests or too many connections are answered or closed without hurting
// the server.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "player/http/ts_server.hpp"
#include "ts_fixture.hpp"

namespace p2pls::player {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

class TsServerTest : public ::testing::Test {
  protected:
    template <class Pred>
    bool run_until(Pred pred, std::chrono::seconds limit = 30s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred() && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
        }
        return pred();
    }

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port()) +
               "/stream.ts";
    }

    // Plays the fixture's chunks into the server, one every `gap`, looping, until `done`.
    template <class Pred>
    void play_until(Pred done, std::chrono::milliseconds gap, std::chrono::seconds limit) {
        std::string why;
        const auto& chunks = test::ts_chunks(6, why);
        ASSERT_FALSE(chunks.empty()) << why;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        std::size_t i = 0;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            feed(chunks[i++ % chunks.size()]);
            io_.run_for(gap);
        }
    }

    // Plays one chunk into the server with the next seq (1 s, at a made-up wall clock).
    void feed(Payload payload, std::uint32_t duration_us = 1'000'000) {
        const std::uint64_t seq = next_seq_++;
        server_->on_chunk(seq, 1'764'921'600'000'000 + static_cast<std::int64_t>(seq) * duration_us,
                          duration_us, std::move(payload));
    }

    std::uint64_t next_seq_ = 1;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    std::unique_ptr<http::TsServer> server_;
};

// ffprobe decoding the first 40 video frames it reads from the URL.
// ffprobe on `url`: {exit code, the stream's codec and each frame's picture type}.
std::pair<int, std::string> ffprobe_frames(const std::string& url) {
    return p2pls::testing::run(
        {"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name:frame=pict_type", "-of", "csv=p=0", "-read_intervals", "%+#40", url},
        std::chrono::seconds(30));
}

int count_lines_starting(const std::string& text, const std::string& prefix) {
    int n = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) {
            end = text.size();
        }
        if (text.compare(pos, prefix.size(), prefix) == 0) {
            ++n;
        }
        pos = end + 1;
    }
    return n;
}

TEST_F(TsServerTest, TwoFfprobeClientsDecodeH264AtOnce) {
    if (!test::have_program("ffprobe")) {
        GTEST_SKIP() << "ffprobe absent (Debian package ffmpeg)";
    }
    server_ = std::make_unique<http::TsServer>(
        io_, http::TsServerOptions{},
        http::TsServer::Handlers{.stats = [] { return "{}"; }, .metrics = {}});
    server_->start();
    auto a = std::async(std::launch::async, ffprobe_frames, url());
    auto b = std::async(std::launch::async, ffprobe_frames, url());
    const auto ready = [](auto& f) { return f.wait_for(0s) == std::future_status::ready; };
    // Chunks at 4x real time: ffprobe needs about two of them.
    play_until([&] { return ready(a) && ready(b); }, 250ms, 40s);
    ASSERT_TRUE(ready(a) && ready(b)) << "ffprobe did not finish";
    for (auto* f : {&a, &b}) {
        const auto [code, text] = f->get();
        EXPECT_EQ(code, 0) << text;
        EXPECT_NE(text.find("h264"), std::string::npos) << text;
        // Frame lines are the picture types: I, P (B with other encoders).
        const int frames = count_lines_starting(text, "I") + count_lines_starting(text, "P") +
                           count_lines_starting(text, "B");
        EXPECT_GE(frames, 20) << text;
        // It started at a chunk boundary: the very first frame is a key frame.
        const auto first = text.find_first_of("IPB");
        ASSERT_NE(first, std::string::npos);
        EXPECT_EQ(text[first], 'I') << text;
    }
}

// A raw client: sends GET /stream.ts and then reads (or not).
std::string raw_get(tcp::socket& s, const std::string& target) {
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(s, asio::buffer(req));
    return req;
}

TEST_F(TsServerTest, SlowReaderIsDroppedFastReaderGetsEveryByte) {
    http::TsServerOptions o;
    o.fanout = {.max_clients = 4, .max_queued_chunks = 3, .max_queued_bytes = 64 << 20};
    server_ = std::make_unique<http::TsServer>(io_, o, http::TsServer::Handlers{});
    server_->start();

    // The slow one never reads after its request; its socket buffers fill, then its queue.
    tcp::socket slow(io_);
    slow.connect(server_->local_endpoint());
    raw_get(slow, "/stream.ts");
    // The fast one reads on its own thread with a blocking socket.
    asio::io_context client_io;
    tcp::socket fast(client_io);
    fast.connect(server_->local_endpoint());
    raw_get(fast, "/stream.ts");
    std::atomic<std::size_t> fast_bytes{0};
    std::string fast_data;
    std::thread reader([&] {
        std::array<char, 65536> buf{};
        boost::system::error_code ec;
        while (true) {
            const auto n = fast.read_some(asio::buffer(buf), ec);
            if (ec) {
                break;
            }
            fast_data.append(buf.data(), n);
            fast_bytes += n;
        }
    });
    ASSERT_TRUE(run_until([&] { return server_->streaming_clients() == 2; }, 10s));

    // 1 MiB chunks with a counter in them so that order and completeness can be checked.
    constexpr int kChunks = 40;
    constexpr std::size_t kSize = 1 << 20;
    for (int i = 0; i < kChunks; ++i) {
        feed(std::make_shared<const std::string>(kSize, static_cast<char>('A' + i % 26)));
        io_.run_for(20ms);
    }
    EXPECT_TRUE(run_until([&] { return server_->dropped_clients() == 1; }, 10s));
    // The fast reader still gets everything: head + every chunk.
    const std::size_t expected_body = kChunks * kSize;
    ASSERT_TRUE(run_until([&] { return fast_bytes.load() >= expected_body; }, 20s))
        << fast_bytes.load() << " of " << expected_body;
    server_->stop();
    io_.run_for(50ms);
    reader.join();
    const auto body_at = fast_data.find("\r\n\r\n");
    ASSERT_NE(body_at, std::string::npos);
    EXPECT_EQ(fast_data.rfind("HTTP/1.1 200 OK", 0), 0u);
    EXPECT_NE(fast_data.find("Content-Type: video/mp2t"), std::string::npos);
    const auto body = fast_data.substr(body_at + 4);
    ASSERT_EQ(body.size(), expected_body);
    for (int i = 0; i < kChunks; ++i) {
        ASSERT_EQ(body[i * kSize], 'A' + i % 26) << "chunk " << i;
        ASSERT_EQ(body[(i + 1) * kSize - 1], 'A' + i % 26) << "chunk " << i;
    }
}

// One request on a fresh connection; returns what the server sent until it closed.
std::string ask(const tcp::endpoint& at, const std::string& bytes) {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(at);
    asio::write(s, asio::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(out), ec);
    return out;
}

TEST_F(TsServerTest, OtherRequestsAnsweredOrClosedAndServerCarriesOn) {
    http::TsServerOptions o;
    o.request_timeout = 500ms;
    o.fanout.max_clients = 1;
    server_ = std::make_unique<http::TsServer>(
        io_, o, http::TsServer::Handlers{.stats = [] { return R"({"frames":7})"; }, .metrics = {}});
    server_->start();
    const auto at = server_->local_endpoint();
    std::thread io_thread([&] { run_until([] { return false; }, 6s); });

    const auto stats = ask(at, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(stats.rfind("HTTP/1.1 200", 0), 0u) << stats;
    EXPECT_NE(stats.find(R"({"frames":7})"), std::string::npos) << stats;

    const auto missing = ask(at, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0u) << missing;

    const auto post = ask(at, "POST /stream.ts HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;

    const auto head = ask(at, "HEAD /stream.ts HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK", 0), 0u) << head;
    EXPECT_NE(head.find("video/mp2t"), std::string::npos) << head;

    // Garbage and an oversized head are closed without an answer worth reading.
    const auto junk = ask(at, std::string("\x01\x02 nonsense\r\n\r\n"));
    EXPECT_EQ(junk.find("200 OK"), std::string::npos);
    const auto huge = ask(at, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
    EXPECT_EQ(huge.find("200 OK"), std::string::npos);
    // A silent connection is closed after the request timeout (read returns).
    const auto silent = ask(at, "");
    EXPECT_TRUE(silent.empty());

    // Over the streaming-client cap: 503 with Retry-After, the first client unaffected.
    asio::io_context cio;
    tcp::socket first(cio);
    first.connect(at);
    asio::write(first, asio::buffer(std::string("GET /stream.ts HTTP/1.1\r\n\r\n")));
    std::string head_first;
    asio::read_until(first, asio::dynamic_buffer(head_first), "\r\n\r\n");
    EXPECT_EQ(head_first.rfind("HTTP/1.1 200 OK", 0), 0u);
    const auto refused = ask(at, "GET /stream.ts HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
    EXPECT_NE(refused.find("Retry-After: 5"), std::string::npos) << refused;
    io_thread.join();
}

// A keep-alive HTTP/1.1 client on one blocking connection (as a browser polling the
// playlist holds one).
class KeepAliveClient {
  public:
    explicit KeepAliveClient(const tcp::endpoint& at) : socket_(io_) { socket_.connect(at); }

    boost::beast::http::response<boost::beast::http::string_body> get(
        const std::string& target, boost::beast::http::verb verb = boost::beast::http::verb::get) {
        namespace bh = boost::beast::http;
        bh::request<bh::empty_body> req{verb, target, 11};
        req.set(bh::field::host, "127.0.0.1");
        bh::write(socket_, req);
        bh::response_parser<bh::string_body> parser;
        parser.body_limit(64 << 20);
        if (verb == bh::verb::head)
            parser.skip(true);
        bh::read(socket_, buffer_, parser);
        return parser.release();
    }

  private:
    asio::io_context io_;
    tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

class TsServerHlsTest : public TsServerTest {
  protected:
    void SetUp() override {
        http::TsServerOptions o;
        o.hls.nominal_duration_us = 1'000'000;
        o.hls.max_segments = 4;
        server_ = std::make_unique<http::TsServer>(
            io_, o,
            http::TsServer::Handlers{.stats = [] { return std::string("{}"); },
                                     .metrics = [] { return std::string("m 1\n"); }});
        server_->start();
    }
    // `fn()` run on the server's thread (while with_server_thread runs it), its result.
    template <class Fn>
    auto on_io(Fn fn) {
        std::promise<decltype(fn())> result;
        asio::post(io_, [&] { result.set_value(fn()); });
        return result.get_future().get();
    }
    // Runs the server on its own thread while `body` talks to it with blocking clients.
    template <class Body>
    void with_server_thread(Body body) {
        std::atomic<bool> done{false};
        std::thread io_thread([&] {
            while (!done)
                io_.run_for(10ms);
        });
        body();
        done = true;
        io_thread.join();
    }
};

TEST_F(TsServerHlsTest, EmptyWindowIsRetryLater) {
    with_server_thread([&] {
        KeepAliveClient c(server_->local_endpoint());
        const auto r = c.get("/live.m3u8");
        EXPECT_EQ(r.result_int(), 503);
        EXPECT_EQ(r[boost::beast::http::field::retry_after], "1");
        EXPECT_EQ(c.get("/seg/1.ts").result_int(), 404);
    });
}

TEST_F(TsServerHlsTest, PlaylistAndSegmentsOnOneConnection) {
    namespace bh = boost::beast::http;
    std::vector<Payload> bodies;
    for (int i = 0; i < 5; ++i) {
        bodies.push_back(std::make_shared<const std::string>(1000 + i, static_cast<char>('a' + i)));
    }
    feed(bodies[0]);             // seq 1
    feed(bodies[1]);             // seq 2
    feed(bodies[2]);             // seq 3
    ++next_seq_;                 // seq 4 never played (missed)
    feed(bodies[3]);             // seq 5
    feed(bodies[4], 1'400'000);  // seq 6, longer: the target duration grows to 1 s rounded
    with_server_thread([&] {
        KeepAliveClient c(server_->local_endpoint());
        const auto list = c.get("/live.m3u8");
        ASSERT_EQ(list.result_int(), 200);
        EXPECT_EQ(list[bh::field::content_type], "application/vnd.apple.mpegurl");
        EXPECT_EQ(list[bh::field::cache_control], "no-cache");
        const std::string& m3u8 = list.body();
        // Four segments kept (max_segments): 2, 3, then the discontinuity, 5, 6.
        EXPECT_EQ(m3u8.rfind("#EXTM3U\n", 0), 0U) << m3u8;
        EXPECT_NE(m3u8.find("#EXT-X-MEDIA-SEQUENCE:2\n"), std::string::npos) << m3u8;
        EXPECT_NE(m3u8.find("#EXT-X-TARGETDURATION:1\n"), std::string::npos) << m3u8;
        EXPECT_EQ(m3u8.find("seg/1.ts"), std::string::npos) << m3u8;
        const auto seg3 = m3u8.find("seg/3.ts");
        const auto disc = m3u8.find("#EXT-X-DISCONTINUITY\n");
        const auto seg5 = m3u8.find("seg/5.ts");
        ASSERT_NE(seg3, std::string::npos) << m3u8;
        ASSERT_NE(disc, std::string::npos) << m3u8;
        ASSERT_NE(seg5, std::string::npos) << m3u8;
        EXPECT_LT(seg3, disc);
        EXPECT_LT(disc, seg5);
        EXPECT_NE(m3u8.find("#EXTINF:1.400000,\nseg/6.ts"), std::string::npos) << m3u8;
        EXPECT_EQ(m3u8.find("#EXT-X-ENDLIST"), std::string::npos) << "a live window never ends";

        // Every listed segment is exactly the chunk played, on the same connection.
        const std::vector<std::pair<int, int>> listed{{2, 1}, {3, 2}, {5, 3}, {6, 4}};
        for (const auto& [seq, body] : listed) {
            const auto seg = c.get("/seg/" + std::to_string(seq) + ".ts");
            ASSERT_EQ(seg.result_int(), 200) << seq;
            EXPECT_EQ(seg.body(), *bodies[static_cast<std::size_t>(body)]) << seq;
            EXPECT_EQ(seg[bh::field::content_type], "video/mp2t");
            EXPECT_NE(seg[bh::field::cache_control].find("max-age="), std::string::npos);
        }
        const auto head = c.get("/seg/5.ts", bh::verb::head);
        EXPECT_EQ(head.result_int(), 200);
        EXPECT_EQ(head[bh::field::content_length], std::to_string(bodies[3]->size()));
        EXPECT_TRUE(head.body().empty());

        // Outside the window or never played: 404 naming why; the connection carries on.
        for (const char* gone :
             {"/seg/1.ts", "/seg/4.ts", "/seg/7.ts", "/seg/18446744073709551615.ts"}) {
            const auto r = c.get(gone);
            EXPECT_EQ(r.result_int(), 404) << gone;
            EXPECT_NE(r.body().find("not_in_window"), std::string::npos) << gone << r.body();
        }
        EXPECT_EQ(c.get("/seg/abc.ts").result_int(), 400);
        EXPECT_EQ(c.get("/seg/99999999999999999999999.ts").result_int(), 400);
        const auto unknown = c.get("/favicon.ico");
        EXPECT_EQ(unknown.result_int(), 404);
        EXPECT_NE(unknown.body().find("/live.m3u8"), std::string::npos) << unknown.body();
        const auto del = c.get("/live.m3u8", bh::verb::delete_);
        EXPECT_EQ(del.result_int(), 405);
        EXPECT_NE(del[bh::field::allow].find("GET"), std::string::npos);
        // The page was not installed in this server: a 404 that says how to get it.
        const auto page = c.get("/");
        EXPECT_EQ(page.result_int(), 404);
        EXPECT_NE(page.body().find("--web-root"), std::string::npos) << page.body();
        const auto metrics = c.get("/metrics");
        EXPECT_EQ(metrics.result_int(), 200);
        EXPECT_EQ(metrics.body(), "m 1\n");
    });
    EXPECT_EQ(server_->counters().playlist_requests, 1U);
    EXPECT_GE(server_->counters().segments_not_found, 4U);
}

TEST_F(TsServerHlsTest, TooManyConnectionsGet503AndTheServerCarriesOn) {
    // Beyond max_connections (64) a connection is answered 503 and closed at once, so a
    // flood of idle connections cannot starve the page's own.
    with_server_thread([&] {
        asio::io_context cio;
        std::vector<tcp::socket> sockets;
        for (int i = 0; i < 100; ++i) {
            sockets.emplace_back(cio).connect(server_->local_endpoint());
        }
        // Every connection accepted (64 held, waiting for a request; 36 refused) before
        // any request frees a slot.
        ASSERT_TRUE(p2pls::testing::wait_until(
            [&] { return on_io([&] { return server_->counters().refused_connections; }) == 36; },
            10s));
        int ok = 0;
        int refused = 0;
        for (auto& s : sockets) {
            boost::system::error_code ec;
            asio::write(
                s, asio::buffer(std::string("GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")),
                ec);
            std::string reply;
            asio::read(s, asio::dynamic_buffer(reply), ec);
            if (reply.rfind("HTTP/1.1 200", 0) == 0)
                ++ok;
            if (reply.rfind("HTTP/1.1 503", 0) == 0)
                ++refused;
        }
        EXPECT_EQ(ok, 64);
        EXPECT_EQ(refused, 36);
        sockets.clear();
        KeepAliveClient after(server_->local_endpoint());
        EXPECT_EQ(after.get("/stats").result_int(), 200);
    });
    EXPECT_EQ(server_->counters().refused_connections, 36U);
}

// ffprobe as an HLS client: reads the live playlist from its first segment and decodes
// `seconds` of video. {exit code, one line per frame: its pts in seconds}.
std::pair<int, std::string> ffprobe_hls(const std::string& url, int seconds) {
    return p2pls::testing::run({"ffprobe", "-v", "error", "-live_start_index", "0",
                                "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of",
                                "csv=p=0", "-read_intervals", "%+" + std::to_string(seconds), url},
                               std::chrono::seconds(60));
}

TEST_F(TsServerHlsTest, FfprobeDecodesTenSecondsFromTheLivePlaylist) {
    if (!test::have_program("ffprobe")) {
        GTEST_SKIP() << "ffprobe absent (Debian package ffmpeg)";
    }
    std::string why;
    const auto& chunks = test::ts_chunks(12, why);
    ASSERT_GE(chunks.size(), 11U) << why;
    feed(chunks[0]);
    feed(chunks[1]);
    const std::string url =
        "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port()) + "/live.m3u8";
    auto probe = std::async(std::launch::async, ffprobe_hls, url, 10);
    // The rest at twice real time, as a live channel that the client follows.
    for (std::size_t i = 2; i < chunks.size(); ++i) {
        io_.run_for(500ms);
        feed(chunks[i]);
    }
    ASSERT_TRUE(run_until([&] { return probe.wait_for(0s) == std::future_status::ready; }, 40s));
    const auto [code, text] = probe.get();
    EXPECT_EQ(code, 0) << text;
    std::vector<double> pts;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        const std::string line = text.substr(pos, end - pos);
        if (!line.empty() && line.find_first_not_of("0123456789.") == std::string::npos) {
            pts.push_back(std::stod(line));
        }
        pos = end == std::string::npos ? text.size() : end + 1;
    }
    ASSERT_GE(pts.size(), 200U) << text;  // 25 fps
    EXPECT_GE(pts.back() - pts.front(), 9.0) << text;
    for (std::size_t i = 1; i < pts.size(); ++i) {
        ASSERT_GT(pts[i], pts[i - 1]) << "frame " << i << " went back in time";
    }
    EXPECT_GE(server_->counters().segment_requests, 10U);
}

}  // namespace
}  // namespace p2pls::player
