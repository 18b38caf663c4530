#include "common/http/response_writer.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <limits>
#include <optional>

namespace p2pls::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Until `socket` can take more bytes, or `deadline`.
asio::awaitable<error_code> writable(tcp::socket& socket,
                                     std::chrono::steady_clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(socket.get_executor(), deadline);
    auto done = co_await (socket.async_wait(tcp::socket::wait_write, use_tuple) ||
                          timer.async_wait(use_tuple));
    if (done.index() == 1) {
        co_return make_error_code(beast::error::timeout);
    }
    const auto [ec] = std::get<0>(done);
    co_return ec;
}

// The header of `response`, as Beast writes it, into `out`.
error_code serialize_header(Response& response, std::string& out) {
    out.clear();
    beast::http::response_serializer<ResponseBody> sr{response};
    sr.split(true);
    error_code ec;
    while (!ec && !sr.is_header_done()) {
        sr.next(ec, [&](error_code&, const auto& buffers) {
            std::size_t n = 0;
            for (const auto b : beast::buffers_range_ref(buffers)) {
                out.append(static_cast<const char*>(b.data()), b.size());
                n += b.size();
            }
            sr.consume(n);
        });
    }
    return ec;
}

// After a send or sendfile that failed with `error` (its errno, taken at once): nullopt to
// try again (EINTR, or room in the socket came before `deadline`), else the error that
// ends the write.
asio::awaitable<std::optional<error_code>> after_failure(
    tcp::socket& socket, int error, std::chrono::steady_clock::time_point deadline) {
    if (error == EINTR) {
        co_return std::nullopt;
    }
    if (error != EAGAIN && error != EWOULDBLOCK) {
        co_return error_code(error, boost::system::system_category());
    }
    if (auto wait = co_await writable(socket, deadline); wait) {
        co_return wait;
    }
    co_return std::nullopt;
}

// The header, then the file with sendfile(2).
asio::awaitable<error_code> send_file_response(tcp::socket& socket, Response& response,
                                               std::chrono::milliseconds timeout,
                                               std::string& header) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (auto ec = serialize_header(response, header); ec) {
        co_return ec;
    }
    // Asio made the socket non-blocking for its own reads already; set only if not.
    if (!socket.native_non_blocking()) {
        error_code ec;
        socket.native_non_blocking(true, ec);
        if (ec) {
            co_return ec;
        }
    }
    const int out = socket.native_handle();
    const FileRegion& file = *response.body().file();
    std::size_t header_sent = 0;
    while (header_sent < header.size()) {
        // MSG_MORE: hold the header back for the file's first bytes (one segment).
        const ssize_t n = ::send(out, header.data() + header_sent, header.size() - header_sent,
                                 MSG_NOSIGNAL | (file.size > 0 ? MSG_MORE : 0));
        if (n >= 0) {
            header_sent += static_cast<std::size_t>(n);
            deadline = std::chrono::steady_clock::now() + timeout;
        } else if (auto failed = co_await after_failure(socket, errno, deadline)) {
            co_return *failed;
        }
    }
    auto offset = static_cast<off_t>(file.offset);
    const std::uint64_t end = file.offset + file.size;
    while (static_cast<std::uint64_t>(offset) < end) {
        const std::uint64_t left = end - static_cast<std::uint64_t>(offset);
        const ssize_t n = ::sendfile(out, file.fd->get(), &offset,
                                     static_cast<std::size_t>(std::min<std::uint64_t>(
                                         left, std::numeric_limits<int>::max())));
        if (n == 0) {
            // The file ends before the Content-Length we promised: the client must not
            // take what it got for the object, so the connection ends here.
            co_return error_code(EIO, boost::system::system_category());
        }
        if (n < 0) {
            if (auto failed = co_await after_failure(socket, errno, deadline)) {
                co_return *failed;
            }
        } else {
            deadline = std::chrono::steady_clock::now() + timeout;
        }
    }
    co_return error_code{};
}

// Through Beast's serializer, as much as the socket takes at a time, each write given
// `timeout`: the timeout is for a reader that takes nothing (as nginx's send_timeout), not
// for the whole body, so a slow reader of a large object (a user at 1 Mbit/s and a 4 MiB
// slice) gets all of it, while one that stops reading is dropped.
template <class Stream>
asio::awaitable<error_code> write_serialized(Stream& stream, beast::tcp_stream& lowest,
                                             Response& response,
                                             std::chrono::milliseconds timeout) {
    beast::http::response_serializer<ResponseBody> sr{response};
    while (!sr.is_done()) {
        lowest.expires_after(timeout);
        auto [ec, n] = co_await beast::http::async_write_some(stream, sr, use_tuple);
        if (ec) {
            co_return ec;
        }
    }
    lowest.expires_never();
    co_return error_code{};
}

}  // namespace

asio::awaitable<error_code> write_response(beast::tcp_stream& stream, Response& response,
                                           std::chrono::milliseconds timeout,
                                           std::string& scratch) {
    if (response.body().file() != nullptr) {
        stream.expires_never();
        co_return co_await send_file_response(stream.socket(), response, timeout, scratch);
    }
    co_return co_await write_serialized(stream, stream, response, timeout);
}

asio::awaitable<error_code> write_response(beast::ssl_stream<beast::tcp_stream>& stream,
                                           Response& response, std::chrono::milliseconds timeout,
                                           std::string& /*scratch*/) {
    // TLS encrypts in user space: a file body is read a piece at a time (ResponseBody).
    co_return co_await write_serialized(stream, beast::get_lowest_layer(stream), response, timeout);
}

}  // namespace p2pls::http
