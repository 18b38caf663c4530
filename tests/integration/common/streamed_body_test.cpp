// Streamed request bodies (common/http/body_stream.hpp) against the curl command line: a
// body far above the server's buffered cap arrives piece by piece, chunked or not, with
// "Expect: 100-continue" answered; a body over the route's cap is refused mid-way; a
// request refused from its header never sends its body; and the connection serves
// whole-body requests as before.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/http/body_stream.hpp"
#include "common/http/http_server.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class StreamedBody : public ::testing::Test {
  protected:
    void SetUp() override {
        http::ServerLimits limits;
        limits.max_body_bytes = 64 * 1024;  // far below the uploads
        server_.emplace(
            io_, asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits,
            [](http::Request& req, const http::RequestContext&) -> asio::awaitable<http::Response> {
                co_return http::make_response(req, http::Status::ok,
                                              "whole " + std::to_string(req.body().size()),
                                              "text/plain");
            });
        server_->stream_bodies(
            {.cap = [](const http::Request& h) -> std::uint64_t {
                 return h.method() == boost::beast::http::verb::put ? 64ULL << 20 : 0;
             },
             .handler = [this](http::Request& h, http::BodyStream& body,
                               const http::RequestContext&) -> asio::awaitable<http::Response> {
                 if (h.target() == "/refuse") {
                     const std::lock_guard lock(mutex_);
                     refused_received_ = body.received();
                     co_return http::make_response(h, http::Status::unauthorized, "no\n",
                                                   "text/plain");
                 }
                 std::uint64_t sum = 0;
                 std::size_t largest = 0;
                 for (;;) {
                     auto piece = co_await body.next();
                     if (!piece) {
                         const std::lock_guard lock(mutex_);
                         error_ = piece.error().message();
                         co_return http::make_response(h, http::Status::payload_too_large,
                                                       "refused\n", "text/plain");
                     }
                     if (piece->empty()) {
                         break;
                     }
                     largest = std::max(largest, piece->size());
                     for (const char c : *piece) {
                         sum += static_cast<unsigned char>(c);
                     }
                 }
                 {
                     const std::lock_guard lock(mutex_);
                     largest_piece_ = largest;
                 }
                 co_return http::make_response(
                     h, http::Status::created,
                     std::to_string(body.received()) + " " + std::to_string(sum), "text/plain");
             }});
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
        file_ = tmp_.path() / "upload.bin";
        std::ofstream out(file_, std::ios::binary);
        for (std::size_t i = 0; i < kSize; ++i) {
            const auto c = static_cast<unsigned char>(i * 7 + i / 1000);
            sum_ += c;
            out.put(static_cast<char>(c));
        }
    }
    void TearDown() override {
        asio::post(io_, [this] { server_->stop(); });
        io_.stop();
        thread_.join();
    }

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port()) + path;
    }
    std::string curl(std::vector<std::string> args) {
        std::vector<std::string> argv{"curl", "-sS", "-w", " %{http_code}"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto [code, out] = testing::run(argv, 30s);
        EXPECT_EQ(code, 0) << out;
        return out;
    }

    static constexpr std::size_t kSize = 20 * 1024 * 1024;
    testing::TempDir tmp_{"p2pls-streamed"};
    std::filesystem::path file_;
    std::uint64_t sum_ = 0;
    asio::io_context io_;
    std::optional<http::HttpServer> server_;
    std::thread thread_;
    std::mutex mutex_;
    std::size_t largest_piece_ = 0;
    std::string error_;
    std::optional<std::uint64_t> refused_received_;
};

TEST_F(StreamedBody, AnUploadFarAboveTheBodyCapArrivesPieceByPiece) {
    // curl -T sends "Expect: 100-continue" first: the server must answer it.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(curl({"-T", file_.string(), url("/upload")}),
              std::to_string(kSize) + " " + std::to_string(sum_) + " 201");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
    {
        const std::lock_guard lock(mutex_);
        EXPECT_GT(largest_piece_, 0u);
        EXPECT_LE(largest_piece_, http::kBodyPieceBytes);
    }
    // Chunked, and then a whole-body request on the same connection (curl reuses it for
    // the second URL).
    EXPECT_EQ(curl({"-T", file_.string(), "-H", "Transfer-Encoding: chunked", url("/upload"), "-X",
                    "PUT"}),
              std::to_string(kSize) + " " + std::to_string(sum_) + " 201");
    EXPECT_EQ(curl({"-d", "small", url("/post"), "--next", "-w", " %{http_code}", "-T",
                    file_.string(), url("/again")}),
              "whole 5 200" + std::to_string(kSize) + " " + std::to_string(sum_) + " 201");
}

TEST_F(StreamedBody, ABodyOverTheRouteCapIsRefused) {
    std::filesystem::resize_file(file_, 65ULL << 20);
    // Its length announced: refused before the handler and before the body.
    const auto announced = curl({"-T", file_.string(), url("/upload")});
    EXPECT_TRUE(announced.ends_with(" 413")) << announced;
    EXPECT_NE(announced.find("request body exceeds 67108864 bytes"), std::string::npos)
        << announced;
    {
        const std::lock_guard lock(mutex_);
        EXPECT_TRUE(error_.empty()) << error_;
    }
    // Chunked, the length unknown: the handler's read fails where the cap is crossed.
    const auto chunked =
        curl({"-T", file_.string(), "-H", "Transfer-Encoding: chunked", url("/upload")});
    EXPECT_TRUE(chunked.ends_with(" 413")) << chunked;
    const std::lock_guard lock(mutex_);
    EXPECT_NE(error_.find("body limit"), std::string::npos) << error_;
}

TEST_F(StreamedBody, ARequestRefusedFromItsHeaderNeverSendsItsBody) {
    // curl waits for 100-continue; the 401 comes instead, and curl sends nothing.
    EXPECT_EQ(curl({"-T", file_.string(), "-w", " %{http_code} %{size_upload}", url("/refuse")}),
              "no\n 401 0");
    const std::lock_guard lock(mutex_);
    ASSERT_TRUE(refused_received_);
    EXPECT_EQ(*refused_received_, 0u);
}

}  // namespace
}  // namespace p2pls
