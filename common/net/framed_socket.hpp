// Peer-wire messages over a TCP socket: the Asio adapter around frame_codec.hpp and
// peer_codec.hpp. Counts bytes at the socket, split into media (Chunk) and control, so
// that a DECADE peer can prove it wrote no media to its own uplink.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

#include "common/core/errc.hpp"
#include "common/core/frame_codec.hpp"
#include "common/core/peer_codec.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::net {

struct SocketCounters {
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t media_bytes_in = 0;  // whole frames carrying a Chunk
    std::uint64_t media_bytes_out = 0;
};

class FramedSocket {
  public:
    explicit FramedSocket(boost::asio::ip::tcp::socket socket,
                          const FrameLimits& limits = peer_frame_limits());

    // The next message. Errors: end of stream or a socket error (asio's codes),
    // frame_too_large / frame_empty (framing lost), message_malformed.
    boost::asio::awaitable<Result<wire::PeerMessage>> read();

    // Writes one whole frame. Only one write may be outstanding at a time: a session
    // keeps a single writer coroutine (STYLE.md, "Async code").
    boost::asio::awaitable<boost::system::error_code> write(const wire::PeerMessage& message);

    [[nodiscard]] const SocketCounters& counters() const noexcept { return counters_; }
    boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }

    // Closes the socket; pending reads and writes complete with operation_aborted.
    void close() noexcept;

  private:
    boost::asio::ip::tcp::socket socket_;
    FrameDecoder decoder_;
    std::array<char, 64 * 1024> read_buffer_{};
    SocketCounters counters_;
};

}  // namespace p2pls::net
