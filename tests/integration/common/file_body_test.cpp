// File bodies (http::make_file_response) on loopback: sent with sendfile(2) on a plain
// connection and read a piece at a time over TLS, they arrive byte-identical; a reader
// slower than the socket buffer still gets all of it, even over many write timeouts; a
// file shorter than its promised length ends the connection instead of hanging it; a
// reader that never reads is cut off at the write timeout.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "common/curl/http_client.hpp"
#include "common/http/http_server.hpp"
#include "common/http/tls_context.hpp"
#include "tests/support/test_ca.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>(i * 131 % 251);  // every byte value, NULs included
    }
    return s;
}

// An unlinked temporary file holding `bytes`, open for reading.
std::shared_ptr<const posix::Fd> file_of(const std::string& bytes) {
    char name[] = "/tmp/p2pls-file-body-XXXXXX";
    posix::Fd fd(::mkstemp(name));
    EXPECT_TRUE(fd.ok());
    ::unlink(name);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        EXPECT_GT(n, 0);
        if (n <= 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    return std::make_shared<const posix::Fd>(std::move(fd));
}

// A blocking client on its own thread: connects, sends `request`, optionally waits, then
// reads until EOF or `limit` bytes.
struct RawGet {
    std::string received;
    bool eof = false;
};
RawGet raw_get(std::uint16_t port, const std::string& request, int rcvbuf,
               std::chrono::milliseconds wait_before_reading, std::size_t limit,
               std::chrono::microseconds pause_per_read = {}) {
    RawGet out;
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) {
        ::setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    timeval tv{10, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 ||
        ::send(s, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
        ::close(s);
        return out;
    }
    std::this_thread::sleep_for(wait_before_reading);
    char buf[4096];
    while (out.received.size() < limit) {
        std::this_thread::sleep_for(pause_per_read);
        const ssize_t n = ::recv(s, buf, sizeof buf, 0);
        if (n <= 0) {
            out.eof = n == 0;
            break;
        }
        out.received.append(buf, static_cast<std::size_t>(n));
    }
    ::close(s);
    return out;
}

class FileBodyTest : public ::testing::Test {
  protected:
    // Serves `file` (`size` bytes promised) at every path; over TLS with `tls`.
    // With `shared`, those bytes in memory instead (Beast's serializer writes them).
    void serve(std::shared_ptr<const posix::Fd> file, std::uint64_t size, bool tls = false,
               http::ServerLimits limits = {},
               std::shared_ptr<const std::string> shared = nullptr) {
        server_.emplace(
            io_, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits,
            [file, size, shared](http::Request& req,
                                 const http::RequestContext&) -> asio::awaitable<http::Response> {
                if (shared) {
                    co_return http::make_shared_response(req, http::Status::ok, shared,
                                                         "application/octet-stream");
                }
                co_return http::make_file_response(req, http::Status::ok, {file, size, 0},
                                                   "application/octet-stream");
            },
            tls ? http::make_server_tls_context({.cert_file = ca_.server_cert().string(),
                                                 .key_file = ca_.server_key().string()})
                : nullptr);
        server_->start();
    }
    std::uint16_t port() const { return server_->local_endpoint().port(); }

    // Two GETs over one connection with the real HTTP client.
    std::vector<curl::HttpResponse> get_twice(std::string_view scheme) {
        curl::HttpClient client(io_, {.ca_file = ca_.ca_cert().string()});
        std::vector<curl::HttpResponse> got;
        bool done = false;
        const std::string base =
            std::string(scheme) + "://127.0.0.1:" + std::to_string(port()) + "/o";
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < 2; ++i) {
                    curl::HttpRequest request{.url = base, .max_response_bytes = 64 << 20};
                    auto res = co_await client.request(std::move(request));
                    EXPECT_TRUE(res.has_value()) << res.error().message();
                    if (res) {
                        got.push_back(std::move(*res));
                    }
                }
                done = true;
            },
            asio::detached);
        run_until([&] { return done; });
        return got;
    }

    // Runs the io_context until `done` or 15 s (a hang fails the test).
    void run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(5ms);
        }
        ASSERT_TRUE(done()) << "timed out";
    }

    // A raw GET on a thread while the server runs here.
    RawGet raw(int rcvbuf, std::chrono::milliseconds wait, std::size_t limit = SIZE_MAX) {
        std::atomic<bool> finished{false};
        RawGet got;
        std::thread client([&] {
            got = raw_get(port(), "GET /o HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", rcvbuf,
                          wait, limit);
            finished = true;
        });
        run_until([&] { return finished.load(); });
        client.join();
        return got;
    }

    testing::TestCa ca_;
    asio::io_context io_;
    std::optional<http::HttpServer> server_;
};

TEST_F(FileBodyTest, AFileArrivesByteIdenticalOverPlainHttpAndTls) {
    const std::string bytes = pattern((1 << 20) + 7);
    const auto file = file_of(bytes);
    for (const bool tls : {false, true}) {
        serve(file, bytes.size(), tls);
        const auto got = get_twice(tls ? "https" : "http");
        ASSERT_EQ(got.size(), 2u);
        for (const auto& res : got) {
            EXPECT_EQ(res.status, 200);
            EXPECT_EQ(res.header("Content-Length").value_or(""), std::to_string(bytes.size()));
            EXPECT_TRUE(res.body == bytes) << (tls ? "TLS: " : "plain: ") << res.body.size();
        }
        EXPECT_EQ(server_->open_connections(), 1u) << "both over one kept-alive connection";
        server_.reset();
    }
}

TEST_F(FileBodyTest, EmptyAndOneByteFiles) {
    for (const std::string& bytes : {std::string(), std::string("z")}) {
        serve(file_of(bytes), bytes.size());
        const auto got = get_twice("http");
        ASSERT_EQ(got.size(), 2u);
        EXPECT_EQ(got[1].body, bytes);
        EXPECT_EQ(got[1].header("Content-Length").value_or(""), std::to_string(bytes.size()));
        server_.reset();
    }
}

// The socket buffer fills long before 4 MiB are out: the server waits for room (EAGAIN)
// and carries on where sendfile stopped.
TEST_F(FileBodyTest, AReaderSlowerThanTheSocketBufferGetsTheWholeFile) {
    const std::string bytes = pattern(4 << 20);
    serve(file_of(bytes), bytes.size());
    const RawGet got = raw(4096, 300ms);
    const auto split = got.received.find("\r\n\r\n");
    ASSERT_NE(split, std::string::npos) << got.received.substr(0, 200);
    EXPECT_NE(got.received.find("Content-Length: " + std::to_string(bytes.size())),
              std::string::npos);
    EXPECT_TRUE(got.received.substr(split + 4) == bytes) << got.received.size() - split - 4;
    EXPECT_TRUE(got.eof);
}

// A file cut short under the server (it promised 2000 bytes, the file has 1000): the
// client sees the connection end after what there was, never a hang or a padded body, and
// the server goes on serving.
TEST_F(FileBodyTest, AFileShorterThanPromisedEndsTheConnection) {
    const std::string bytes = pattern(1000);
    serve(file_of(bytes), 2000);
    const RawGet got = raw(0, 0ms);
    EXPECT_TRUE(got.eof);
    const auto split = got.received.find("\r\n\r\n");
    ASSERT_NE(split, std::string::npos);
    EXPECT_NE(got.received.find("Content-Length: 2000"), std::string::npos);
    EXPECT_EQ(got.received.substr(split + 4), bytes);
    EXPECT_TRUE(raw(0, 0ms).eof) << "the server stopped serving";
}

// A client that hangs up in the middle of a file: sendfile fails with EPIPE (no SIGPIPE
// kills the process), the connection goes, and the server serves the next client.
TEST_F(FileBodyTest, AClientThatHangsUpMidFileLeavesTheServerServing) {
    const std::string bytes = pattern(16 << 20);
    serve(file_of(bytes), bytes.size());
    for (int i = 0; i < 3; ++i) {
        const RawGet cut = raw(4096, 0ms, 64 * 1024);  // 64 KiB, then close
        EXPECT_GE(cut.received.size(), 64u * 1024);
        run_until([&] { return server_->open_connections() == 0; });
    }
    const RawGet whole = raw(0, 0ms);
    EXPECT_TRUE(whole.eof);
    EXPECT_GT(whole.received.size(), bytes.size());
}

// A reader that never reads: the write is bounded by write_timeout, and the connection
// goes.
TEST_F(FileBodyTest, AReaderThatNeverReadsIsCutOffAtTheWriteTimeout) {
    const std::string bytes = pattern(16 << 20);
    http::ServerLimits limits;
    limits.write_timeout = 300ms;
    serve(file_of(bytes), bytes.size(), false, limits);
    std::atomic<bool> finished{false};
    RawGet got;
    std::thread client([&] {
        // Reads only after 1.5 s, long after the timeout: by then the server has closed.
        got = raw_get(port(), "GET /o HTTP/1.1\r\nHost: x\r\n\r\n", 4096, 1500ms, SIZE_MAX);
        finished = true;
    });
    run_until([&] { return server_->open_connections() == 1; });
    run_until([&] { return server_->open_connections() == 0; });
    run_until([&] { return finished.load(); });
    client.join();
    // What the socket buffers held, then the end: far from the whole file.
    EXPECT_LT(got.received.size(), bytes.size() / 2);
}

// A reader far slower than the socket, which takes the body over many times the write
// timeout but never stops for as long as it: it gets all of it, from a file (sendfile)
// and from memory (Beast's serializer). The timeout is for a reader that stops.
TEST_F(FileBodyTest, ASlowReaderThatKeepsReadingGetsTheWholeBody) {
    const std::string bytes = pattern(8 << 20);
    http::ServerLimits limits;
    limits.write_timeout = 300ms;
    for (const bool from_memory : {false, true}) {
        SCOPED_TRACE(from_memory ? "shared bytes" : "file");
        serve(file_of(bytes), bytes.size(), false, limits,
              from_memory ? std::make_shared<const std::string>(bytes) : nullptr);
        std::atomic<bool> finished{false};
        RawGet got;
        const auto started = std::chrono::steady_clock::now();
        std::thread client([&] {
            // 4 KiB a read, one read every 0.5 ms: about 2 s for the 8 MiB.
            got = raw_get(port(), "GET /o HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 4096,
                          0ms, SIZE_MAX, 500us);
            finished = true;
        });
        run_until([&] { return finished.load(); });
        client.join();
        ASSERT_GT(got.received.size(), bytes.size());
        EXPECT_EQ(got.received.substr(got.received.size() - bytes.size()), bytes);
        // It did take longer than the timeout, or this tested nothing.
        EXPECT_GT(std::chrono::steady_clock::now() - started, 4 * limits.write_timeout);
        server_.reset();
    }
}

}  // namespace
}  // namespace p2pls
