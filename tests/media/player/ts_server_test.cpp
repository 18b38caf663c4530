// The local HTTP output against real clients: ffprobe decodes H.264 from /stream.ts (one
// and two at once), a reader that stops reading is dropped while another keeps every
// byte, and bad requests are answered or closed without hurting the server.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <thread>

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
            server_->on_chunk(chunks[i++ % chunks.size()]);
            io_.run_for(gap);
        }
    }

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
    server_ = std::make_unique<http::TsServer>(io_, http::TsServerOptions{}, [] { return "{}"; });
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
    server_ = std::make_unique<http::TsServer>(io_, o, nullptr);
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
        server_->on_chunk(
            std::make_shared<const std::string>(kSize, static_cast<char>('A' + i % 26)));
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
    server_ = std::make_unique<http::TsServer>(io_, o, [] { return R"({"frames":7})"; });
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

}  // namespace
}  // namespace p2pls::player
