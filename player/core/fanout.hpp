// Who gets which chunk on the local HTTP output (GET /stream.ts), with no I/O: the HTTP
// adapter (player/http/ts_server.hpp) asks this class what to write next and tells it
// when a write finished.
//
// Policy:
//  - a new client starts at a chunk boundary: the newest chunk already played (chunks
//    start on a key frame with PAT/PMT, so it decodes at once), or the next one when none
//    has been played yet. It never starts in the middle of a chunk.
//  - every later chunk is queued to every client; a client whose queue goes over
//    `max_queued_chunks` or `max_queued_bytes` is dropped (it is too slow), so one slow
//    reader never stalls the others nor grows memory without bound.
//  - at most `max_clients` at once; more are refused.
// Payloads are shared, never copied per client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace p2pls::player {

using ClientId = std::uint64_t;
using Payload = std::shared_ptr<const std::string>;

struct FanoutLimits {
    std::size_t max_clients = 16;
    std::size_t max_queued_chunks = 8;                // chunks waiting per client (~8 s)
    std::size_t max_queued_bytes = 16 * 1024 * 1024;  // bytes waiting per client
};

class Fanout {
  public:
    explicit Fanout(FanoutLimits limits = {});

    // A new client (an accepted GET /stream.ts). nullopt when max_clients are connected.
    std::optional<ClientId> add_client();
    // The client left (or its socket failed). Unknown ids are ignored.
    void remove_client(ClientId id);

    // A chunk was played: queue it for every client; drop those over their bounds.
    void on_chunk(Payload payload);

    // The chunk to write next for `id` (stays queued until pop); nullptr when none.
    [[nodiscard]] Payload front(ClientId id) const;
    // The front chunk has been written.
    void pop(ClientId id);

    // Clients dropped for being too slow since the last call (the adapter closes them).
    std::vector<ClientId> take_dropped();

    [[nodiscard]] bool contains(ClientId id) const { return clients_.contains(id); }
    [[nodiscard]] std::size_t clients() const noexcept { return clients_.size(); }
    [[nodiscard]] std::size_t queued_chunks(ClientId id) const;
    [[nodiscard]] std::size_t queued_bytes(ClientId id) const;
    [[nodiscard]] std::uint64_t dropped_total() const noexcept { return dropped_total_; }
    [[nodiscard]] std::uint64_t refused_total() const noexcept { return refused_total_; }
    [[nodiscard]] const FanoutLimits& limits() const noexcept { return limits_; }

  private:
    struct Client {
        std::deque<Payload> queue;
        std::size_t bytes = 0;
    };

    FanoutLimits limits_;
    std::map<ClientId, Client> clients_;
    Payload newest_;
    ClientId next_id_ = 1;
    std::vector<ClientId> dropped_;
    std::uint64_t dropped_total_ = 0;
    std::uint64_t refused_total_ = 0;
};

}  // namespace p2pls::player
