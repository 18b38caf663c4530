// http::ResponseBody: owned text and shared bytes serialise to the same HTTP bytes as a
// string body, and shared bytes are written from where they live, never copied.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <sstream>
#include <string>

#include "common/http/http_server.hpp"

namespace p2pls {
namespace {

namespace bhttp = boost::beast::http;

// What Beast writes on the wire for `message`.
template <class Message>
std::string wire(const Message& message) {
    std::ostringstream out;
    out << message;
    return out.str();
}

std::string bytes_of(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>(i * 131 % 256);  // every byte value, NULs included
    }
    return s;
}

// The same response with a plain string body, as the server wrote it before.
bhttp::response<bhttp::string_body> as_string_response(const http::Request& request,
                                                       unsigned status, const std::string& body,
                                                       std::string_view content_type) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), request.version()};
    res.set(bhttp::field::server, "p2pls");
    res.set(bhttp::field::content_type, content_type);
    res.keep_alive(request.keep_alive());
    res.body() = body;
    res.prepare_payload();
    return res;
}

http::Request get_request() {
    http::Request req{bhttp::verb::get, "/x", 11};
    req.keep_alive(true);
    return req;
}

TEST(ResponseBody, SharedBytesGoOutAsTheyAreWithoutACopy) {
    const auto stored = std::make_shared<const std::string>(bytes_of(1 << 20));
    const auto req = get_request();
    const auto res =
        http::make_shared_response(req, http::Status::ok, stored, "application/octet-stream");
    EXPECT_TRUE(res.body().is_shared());
    // The body points at the stored bytes themselves.
    EXPECT_EQ(res.body().view().data(), stored->data());
    EXPECT_EQ(res.body().size(), stored->size());
    EXPECT_EQ(stored.use_count(), 2);
    EXPECT_EQ(res[bhttp::field::content_length], std::to_string(1 << 20));
    EXPECT_EQ(wire(res), wire(as_string_response(req, 200, *stored, "application/octet-stream")));
}

TEST(ResponseBody, ResponseKeepsSharedBytesAliveAfterTheOwnerLetsGo) {
    auto stored = std::make_shared<const std::string>(bytes_of(70'000));
    const std::string copy = *stored;
    const auto req = get_request();
    const auto res = http::make_shared_response(req, http::Status::ok, std::move(stored), "x/y");
    EXPECT_EQ(stored, nullptr);
    EXPECT_EQ(wire(res), wire(as_string_response(req, 200, copy, "x/y")));
}

TEST(ResponseBody, OwnedTextMatchesAStringBody) {
    const auto req = get_request();
    const auto res = http::make_json_response(req, http::Status::not_found, "{\"a\":1}");
    EXPECT_FALSE(res.body().is_shared());
    EXPECT_EQ(res.body().view(), "{\"a\":1}");
    EXPECT_EQ(wire(res), wire(as_string_response(req, 404, "{\"a\":1}", "application/json")));
}

TEST(ResponseBody, NullAndEmptyBodiesHaveLengthZero) {
    const auto req = get_request();
    const auto none = http::make_shared_response(req, http::Status::ok, nullptr, "a/b");
    EXPECT_TRUE(none.body().empty());
    EXPECT_EQ(none[bhttp::field::content_length], "0");
    EXPECT_EQ(wire(none), wire(as_string_response(req, 200, "", "a/b")));
    const auto empty = http::make_shared_response(req, http::Status::ok,
                                                  std::make_shared<const std::string>(), "a/b");
    EXPECT_EQ(wire(empty), wire(none));
}

// A file body written through Beast (as over TLS, where sendfile cannot go) reads the file
// a piece at a time: the same bytes on the wire as a string body.
TEST(ResponseBody, AFileBodyWritesTheSameBytesAsAStringBody) {
    const std::string bytes = bytes_of(200'003);  // three 64 KiB pieces and a bit
    char name[] = "/tmp/p2pls-response-body-XXXXXX";
    auto fd = std::make_shared<const posix::Fd>(::mkstemp(name));
    ASSERT_TRUE(fd->ok());
    ::unlink(name);
    ASSERT_EQ(::write(fd->get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    const auto req = get_request();
    const auto res = http::make_file_response(req, http::Status::ok, {fd, bytes.size(), 0}, "x/y");
    ASSERT_NE(res.body().file(), nullptr);
    EXPECT_EQ(res.body().size(), bytes.size());
    EXPECT_EQ(res[bhttp::field::content_length], std::to_string(bytes.size()));
    EXPECT_EQ(wire(res), wire(as_string_response(req, 200, bytes, "x/y")));
}

TEST(ResponseBody, AssigningOneKindDropsTheOther) {
    const auto stored = std::make_shared<const std::string>("shared");
    http::ResponseBody::value_type body;
    body = std::string("text");
    EXPECT_EQ(body.view(), "text");
    body.share(stored);
    EXPECT_TRUE(body.is_shared());
    EXPECT_EQ(body.view(), "shared");
    body = std::string("again");
    EXPECT_FALSE(body.is_shared());
    EXPECT_EQ(body.view(), "again");
    EXPECT_EQ(stored.use_count(), 1);  // the body let go of the shared bytes
}

}  // namespace
}  // namespace p2pls
