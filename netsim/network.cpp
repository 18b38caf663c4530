#include "netsim/network.hpp"

#include <algorithm>

namespace p2pls::netsim {

Network::Network(Simulator& sim) : sim_(sim) {}

NodeId Network::add_node(NodeLinks links) {
    nodes_.push_back(Node{links});
    return static_cast<NodeId>(nodes_.size() - 1);
}

void Network::set_links(NodeId node, NodeLinks links) {
    nodes_.at(node).links = links;
}

Duration Network::serialise(std::uint64_t bytes, const Link& link) {
    if (link.rate_bytes_per_s == 0) {
        return Duration{0};
    }
    return Duration{static_cast<std::int64_t>((bytes * 1'000'000 + link.rate_bytes_per_s - 1) /
                                              link.rate_bytes_per_s)};
}

std::uint64_t Network::backlog(TimePoint free_at, TimePoint now, const Link& link) {
    if (free_at <= now || link.rate_bytes_per_s == 0) {
        return 0;
    }
    return static_cast<std::uint64_t>((free_at - now).count()) * link.rate_bytes_per_s / 1'000'000;
}

void Network::set_region_delays(std::vector<std::vector<Duration>> delays) {
    region_delays_ = std::move(delays);
}

std::pair<Duration, Duration> Network::propagation(const Node& a, const Node& b) const {
    const int ra = a.links.region;
    const int rb = b.links.region;
    if (ra >= 0 && rb >= 0 && static_cast<std::size_t>(ra) < region_delays_.size() &&
        static_cast<std::size_t>(rb) < region_delays_[static_cast<std::size_t>(ra)].size()) {
        return {region_delays_[static_cast<std::size_t>(ra)][static_cast<std::size_t>(rb)],
                Duration{0}};
    }
    return {a.links.up.delay, b.links.down.delay};
}

Duration Network::base_delay(NodeId from, NodeId to) const {
    const auto [up, down] = propagation(nodes_.at(from), nodes_.at(to));
    return up + down;
}

bool Network::transmit(NodeId from, NodeId to, std::uint64_t stream, std::uint64_t bytes,
                       std::function<void()> deliver) {
    Node& a = nodes_.at(from);
    Node& b = nodes_.at(to);
    const TimePoint now = sim_.now();
    const Link& up = a.links.up;
    const Link& down = b.links.down;
    if (up.queue_limit_bytes != 0 && backlog(a.up_free, now, up) + bytes > up.queue_limit_bytes) {
        return false;
    }
    // A small message does not wait behind other streams' bulk data: TCP connections
    // share a link fairly, so it goes out in its share of the link at once. It still
    // waits behind earlier data of its own stream (below).
    const bool small = bytes <= kInterleaveBytes;
    const TimePoint up_done = (small ? now : std::max(a.up_free, now)) + serialise(bytes, up);
    a.up_free = std::max(a.up_free, now) + serialise(bytes, up);
    a.bytes_up += bytes;
    const auto [up_delay, down_delay] = propagation(a, b);
    const TimePoint at_down = up_done + up_delay;
    if (down.queue_limit_bytes != 0 &&
        backlog(b.down_free, at_down, down) + bytes > down.queue_limit_bytes) {
        return false;
    }
    const TimePoint down_done =
        (small ? at_down : std::max(b.down_free, at_down)) + serialise(bytes, down);
    b.down_free = std::max(b.down_free, at_down) + serialise(bytes, down);
    b.bytes_down += bytes;
    TimePoint arrive = down_done + down_delay;
    std::bernoulli_distribution lost(std::clamp(up.loss + down.loss, 0.0, 0.99));
    if ((up.loss > 0 || down.loss > 0) && lost(sim_.rng())) {
        arrive += kRetransmitDelay;
    }
    TimePoint& last = stream_last_[stream];
    arrive = std::max(arrive, last);
    last = arrive;
    sim_.at(arrive, std::move(deliver));
    return true;
}

}  // namespace p2pls::netsim
