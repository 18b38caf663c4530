// A request body taken as it arrives, for uploads larger than any body the server could
// hold (a publisher's multi-gigabyte file): HttpServer::stream_bodies routes the requests
// whose header asks for it to a handler that reads the body piece by piece and bounds what
// it keeps. An "Expect: 100-continue" is answered when the handler first reads, so a
// request it refuses from its header alone (no key, no room) never sends its body.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/http/http_server.hpp"

namespace p2pls::http {

// Pieces are at most this long.
inline constexpr std::size_t kBodyPieceBytes = 256 * 1024;

class BodyStream {
  public:
    virtual ~BodyStream() = default;
    // The next piece (valid until the next call); empty once the whole body is in. An
    // error for a body that broke off, stalled for the request timeout, is malformed
    // (chunked encoding) or went over the route's cap (beast::http::error::body_limit).
    virtual boost::asio::awaitable<Result<std::string_view>> next() = 0;
    [[nodiscard]] virtual std::uint64_t received() const = 0;
    [[nodiscard]] virtual bool done() const = 0;
};

struct StreamedBodies {
    // The cap on the body of a request with this header when it is to be streamed, 0 to
    // read it whole for the server's Handler as usual.
    std::function<std::uint64_t(const Request& header)> cap;
    // `header` has an empty body. A response given before the body is all in closes the
    // connection after it (the rest of the body is never read).
    std::function<boost::asio::awaitable<Response>(Request& header, BodyStream& body,
                                                   const RequestContext& context)>
        handler;
};

}  // namespace p2pls::http
