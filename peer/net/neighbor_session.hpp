// One neighbour connection: a reader and a writer coroutine over a FramedSocket, and the
// writer's delay queue (a user-space link delay for the lab). The session knows nothing of
// the engine: what it reads and how it ends go to its NeighborEvents.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <variant>

#include "common/core/errc.hpp"
#include "common/core/ids.hpp"
#include "common/net/framed_socket.hpp"
#include "p2pls/peer.pb.h"

namespace p2pls::net {

class NeighborSession;

// What a session tells its owner. Called on the session's io_context thread.
class NeighborEvents {
  public:
    virtual ~NeighborEvents() = default;
    // A whole message arrived from a session that is neither closing nor closed.
    // The message is the handler's: a chunk's payload moves on into the store uncopied.
    virtual void on_session_message(NeighborId id, wire::PeerMessage message) = 0;
    // The connection failed: the reader saw it end, or a write failed before we chose to
    // close. Followed by on_session_ended.
    virtual void on_session_lost(NeighborId id, Errc reason) = 0;
    // The reader or the writer is done with the session; the owner closes it.
    virtual void on_session_ended(const std::shared_ptr<NeighborSession>& session) = 0;
    // True while the node stops: the writer then sends at once, whatever the delay, so
    // that stopping stays bounded.
    [[nodiscard]] virtual bool flush_now() const = 0;
};

class NeighborSession : public std::enable_shared_from_this<NeighborSession> {
  public:
    using Item = std::variant<wire::PeerMessage, std::shared_ptr<const wire::Chunk>>;

    // `send_delay`: how long each message waits before it is written (link emulation).
    NeighborSession(NeighborId id, boost::asio::ip::tcp::socket socket,
                    std::chrono::milliseconds send_delay = {});

    // Spawns the reader and the writer; both keep `events` alive until they end.
    void start(std::shared_ptr<NeighborEvents> events);

    // Queues `item` to be written at `now` + the session's send delay. Refuses it (false,
    // nothing queued) when the queue would then exceed `max_queued_bytes` and the session
    // is not already closing: a neighbour that stops reading must not make us buffer
    // without bound.
    bool push(Item item, std::chrono::steady_clock::time_point now, std::size_t max_queued_bytes);

    // Writes what is queued, then ends (Disconnect: the Bye goes out first).
    void close_after_flush();
    // Closes the socket now; idempotent. Pending reads and writes complete.
    void close();
    // Wakes the reader and writer by closing the socket, without marking the session closed
    // (the node's destructor: nothing will handle their completion).
    void abort_io();

    [[nodiscard]] NeighborId id() const noexcept { return id_; }
    [[nodiscard]] bool closed() const noexcept { return closed_; }
    [[nodiscard]] std::uint64_t media_bytes_out() const noexcept {
        return framed_.counters().media_bytes_out;
    }

  private:
    struct Queued {
        Item item;
        std::chrono::steady_clock::time_point due{};
    };

    boost::asio::awaitable<void> reader(std::shared_ptr<NeighborEvents> events);
    boost::asio::awaitable<void> writer(std::shared_ptr<NeighborEvents> events);

    NeighborId id_;
    FramedSocket framed_;
    std::chrono::milliseconds send_delay_;
    boost::asio::steady_timer wake_;  // cancelled to wake the writer, or armed to the head's due
    // FIFO of messages to write; due times only grow (one delay per session), so it is
    // also ordered by due time.
    std::deque<Queued> queue_;
    std::size_t queued_bytes_ = 0;  // approximate, to bound what a non-reading peer costs
    bool closing_ = false;          // flush the queue, then close
    bool closed_ = false;
};

}  // namespace p2pls::net
