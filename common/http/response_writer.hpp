// Writes one response on a connection. A file body on a plain connection goes out with
// sendfile(2): the header is sent with MSG_MORE, so that it leaves in the same segment as
// the first bytes of the file, and the file goes from the page cache to the socket with
// no copy through user space. Everything else (text, shared bytes, any body over TLS)
// goes through Beast's serializer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <string>

#include "common/http/http_server.hpp"

namespace p2pls::http {

// `scratch` holds the serialized header of a file response; kept by the connection so
// that a steady stream of file responses allocates nothing for it. `timeout` bounds each
// wait for the reader to take more bytes, not the whole write: a slow reader of a large
// body gets all of it, one that stops reading is cut off.
boost::asio::awaitable<boost::system::error_code> write_response(boost::beast::tcp_stream& stream,
                                                                 Response& response,
                                                                 std::chrono::milliseconds timeout,
                                                                 std::string& scratch);
boost::asio::awaitable<boost::system::error_code> write_response(
    boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, Response& response,
    std::chrono::milliseconds timeout, std::string& scratch);

}  // namespace p2pls::http
