// A raw peer-wire client for the tests that talk to a running PeerNode (in process or a
// p2pls-peer / p2pls-source child) the way a neighbour would, or the way an attacker
// would: framed PeerMessages, raw bytes, a half-close. A blocking socket to 127.0.0.1;
// every read is bounded by a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/core/frame_codec.hpp"
#include "common/posix/fd.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::testing {

class WireClient {
  public:
    // Connects to 127.0.0.1:port; connected() says whether it worked.
    explicit WireClient(std::uint16_t port);
    // An accepted connection (WireListener::accept).
    explicit WireClient(posix::Fd connected);

    [[nodiscard]] bool connected() const { return connected_; }

    // One framed message (4-byte big-endian length + PeerMessage).
    void send(const wire::PeerMessage& message);
    // Bytes as they are: garbage, a bad length prefix, half a frame.
    void send_bytes(std::string_view bytes);
    // No more bytes from us (the peer reads end of stream).
    void shutdown_write();

    // The next message within `timeout`; nullopt when none came in time, the peer
    // closed, or what came is not a well-framed PeerMessage.
    std::optional<wire::PeerMessage> next(std::chrono::milliseconds timeout);

    // True when the peer closed the connection within `timeout`; reads and drops
    // whatever it sends meanwhile.
    bool closed_within(std::chrono::milliseconds timeout);

    // True when the connection was closed or reset within `timeout`, reading nothing
    // (what the peer sent stays unread, so its send buffers fill).
    bool hung_up_within(std::chrono::milliseconds timeout);

  private:
    posix::Fd fd_;
    bool connected_ = false;
    FrameDecoder decoder_;
};

// A peer-wire listener on 127.0.0.1:port, for the tests that play a neighbour others dial
// (an impostor at a known endpoint).
class WireListener {
  public:
    // Binds and listens; listening() says whether it worked (SO_REUSEADDR is set, so a
    // port a killed process held can be taken at once).
    explicit WireListener(std::uint16_t port);

    [[nodiscard]] bool listening() const { return fd_.ok(); }

    // The next connection within `timeout`, or nullopt.
    std::optional<WireClient> accept(std::chrono::milliseconds timeout);

  private:
    posix::Fd fd_;
};

}  // namespace p2pls::testing
