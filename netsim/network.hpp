// Access links and message transport between simulated nodes. Each node has an uplink
// and a downlink (one-way delay, rate, queue limit, loss). A message is serialised on the
// sender's uplink, travels the uplink's delay, is serialised on the receiver's downlink
// and travels its delay. Streams are reliable and ordered like TCP: a "lost" message is
// retransmitted (it arrives one retransmission timeout later) and never overtakes an
// earlier one on the same stream. Small (control) messages interleave with bulk data of
// other streams rather than waiting behind it. A message that would overflow a queue is refused:
// the caller resets the stream, as a TCP connection whose buffers blow up would be.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/core/time.hpp"
#include "netsim/simulator.hpp"

namespace p2pls::netsim {

struct Link {
    Duration delay{0};                    // one-way propagation delay
    std::uint64_t rate_bytes_per_s = 0;   // 0 = unlimited
    std::uint64_t queue_limit_bytes = 0;  // bytes waiting to be serialised; 0 = unlimited
    double loss = 0;                      // probability a message needs a retransmission
};

struct NodeLinks {
    Link up;
    Link down;
    // Index into Network::set_region_delays' matrix; -1: the path's delay is up.delay +
    // down.delay. Between two placed nodes the matrix entry replaces both.
    int region = -1;
};

using NodeId = std::uint32_t;

class Network {
  public:
    // Extra delay a lost message suffers (one retransmission timeout).
    static constexpr Duration kRetransmitDelay = std::chrono::milliseconds(200);
    // Messages up to this size interleave with bulk transfers instead of queueing behind
    // them (the effect of per-connection fair sharing, without simulating TCP).
    static constexpr std::uint64_t kInterleaveBytes = 2048;

    explicit Network(Simulator& sim);

    NodeId add_node(NodeLinks links);
    void set_links(NodeId node, NodeLinks links);

    // Queues `bytes` from `from` to `to` on stream `stream`; `deliver` runs on arrival.
    // Returns false (and queues nothing) when a queue limit would be exceeded.
    bool transmit(NodeId from, NodeId to, std::uint64_t stream, std::uint64_t bytes,
                  std::function<void()> deliver);

    // One-way propagation delay between regions: delays[a][b] from a node of region a to
    // one of region b (the testbed's per-region matrix).
    void set_region_delays(std::vector<std::vector<Duration>> delays);

    // One-way delay between two nodes with nothing queued.
    [[nodiscard]] Duration base_delay(NodeId from, NodeId to) const;

    [[nodiscard]] std::uint64_t bytes_sent(NodeId node) const { return nodes_.at(node).bytes_up; }
    [[nodiscard]] std::uint64_t bytes_received(NodeId node) const {
        return nodes_.at(node).bytes_down;
    }

  private:
    struct Node {
        NodeLinks links;
        TimePoint up_free{};    // when the uplink finishes what is queued
        TimePoint down_free{};  // when the downlink finishes what is queued
        std::uint64_t bytes_up = 0;
        std::uint64_t bytes_down = 0;
    };

    static Duration serialise(std::uint64_t bytes, const Link& link);
    // Propagation on the sender's side and on the receiver's side of a path.
    [[nodiscard]] std::pair<Duration, Duration> propagation(const Node& a, const Node& b) const;
    static std::uint64_t backlog(TimePoint free_at, TimePoint now, const Link& link);

    Simulator& sim_;
    std::vector<Node> nodes_;
    std::vector<std::vector<Duration>> region_delays_;
    std::unordered_map<std::uint64_t, TimePoint> stream_last_;  // last delivery per stream
};

}  // namespace p2pls::netsim
