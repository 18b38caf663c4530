#include "netsim/swarm.hpp"

#include <algorithm>
#include <variant>

#include "common/core/overloaded.hpp"
#include "peer/core/traffic.hpp"

namespace p2pls::netsim {
namespace {

std::uint64_t stream_id(std::uint64_t conn, bool from_a) {
    return conn * 2 + (from_a ? 0 : 1);
}

}  // namespace

Swarm::Swarm(Simulator& sim, Network& net, SwarmConfig config)
    : sim_(sim), net_(net), config_(std::move(config)), key_(keypair_from_seed(config_.key_seed)) {}

peer::EngineConfig Swarm::base_config() const {
    peer::EngineConfig c;
    c.channel = config_.channel;
    c.public_key = key_.public_key;
    c.chunk_duration = config_.chunk_duration;
    c.verified_chunks = verified_chunks_;
    return c;
}

std::uint64_t Swarm::chunk_bytes() const {
    const auto us = static_cast<std::uint64_t>(config_.chunk_duration.count());
    return config_.bitrate_bps / 8 * us / 1'000'000;
}

std::vector<Handle> Swarm::peers() const {
    std::vector<Handle> out;
    for (Handle h = 0; h < nodes_.size(); ++h) {
        if (!nodes_[h].is_source) {
            out.push_back(h);
        }
    }
    return out;
}

Handle Swarm::add_node(peer::EngineConfig config, NodeLinks links, Behavior behavior, bool source) {
    const Handle h = nodes_.size();
    Node n;
    n.net = net_.add_node(links);
    n.endpoint = "sim:" + std::to_string(h);
    n.behavior = behavior;
    n.is_source = source;
    if (config.peer_id.value().empty()) {
        config.peer_id = PeerId{(source ? "source-" : "peer-") + std::to_string(h)};
    }
    config.listen_endpoint = n.endpoint;
    config.origin = source;
    if (source) {
        config.source_key = key_.secret_key;
    }
    // Distinct per node, drawn from no random stream: a seed's runs stay as they were.
    for (std::size_t i = 0; i < sizeof(h); ++i) {
        config.nonce_key[i] = static_cast<unsigned char>(h >> (8 * i));
    }
    n.engine = std::make_unique<peer::PeerEngine>(std::move(config), sim_.rng()(), sim_.now());
    nodes_.push_back(std::move(n));
    by_endpoint_[nodes_[h].endpoint] = h;
    return h;
}

Handle Swarm::add_source(peer::EngineConfig config, NodeLinks links) {
    const Handle h = add_node(std::move(config), links, Behavior::honest, true);
    source_ = h;
    publish_next();
    pump(h);
    return h;
}

Handle Swarm::add_peer(peer::EngineConfig config, NodeLinks links, Behavior behavior) {
    const Handle h = add_node(std::move(config), links, behavior, false);
    sim_.after(2 * config_.tracker_delay, [this, h] { tracker_reply(h); });
    pump(h);
    return h;
}

void Swarm::publish_next() {
    wire::Chunk chunk;
    const std::uint64_t seq = next_seq_++;
    chunk.set_seq(seq);
    chunk.set_timestamp_us(static_cast<std::int64_t>(seq) * config_.chunk_duration.count());
    chunk.set_duration_us(static_cast<std::uint32_t>(config_.chunk_duration.count()));
    chunk.set_payload(std::string(chunk_bytes(), static_cast<char>('a' + seq % 26)));
    sign_chunk(key_.secret_key, config_.channel, chunk);
    const Handle s = *source_;
    if (!nodes_[s].alive) {
        return;
    }
    (void)nodes_[s].engine->publish_local_chunk(std::move(chunk), sim_.now());
    pump(s);
    sim_.after(config_.chunk_duration, [this] { publish_next(); });
}

void Swarm::tracker_reply(Handle h) {
    if (!nodes_[h].alive) {
        return;
    }
    std::vector<Handle> live;
    for (Handle o = 0; o < nodes_.size(); ++o) {
        if (o != h && nodes_[o].alive && !nodes_[o].is_source) {
            live.push_back(o);
        }
    }
    const std::size_t k = std::min(config_.tracker_sample, live.size());
    for (std::size_t i = 0; i < k; ++i) {
        std::uniform_int_distribution<std::size_t> pick(i, live.size() - 1);
        std::swap(live[i], live[pick(sim_.rng())]);
    }
    std::vector<peer::PeerCandidate> list;
    for (std::size_t i = 0; i < k; ++i) {
        const auto& c = nodes_[live[i]].engine->config();
        list.push_back({c.peer_id, nodes_[live[i]].endpoint, false,
                        c.decade.enabled ? c.decade.server : std::string()});
    }
    std::optional<ChunkSeq> live_edge;
    if (source_ && nodes_[*source_].alive) {
        list.push_back(
            {nodes_[*source_].engine->config().peer_id, nodes_[*source_].endpoint, true});
        live_edge = nodes_[*source_].engine->live_edge();
    }
    nodes_[h].engine->on_peer_list(list, live_edge, sim_.now());
    pump(h);
}

void Swarm::remove(Handle h, bool graceful) {
    Node& n = nodes_.at(h);
    if (!n.alive) {
        return;
    }
    if (graceful) {
        n.engine->stop(sim_.now());
        pump(h);
    } else {
        // The process is gone: its kernel closes the sockets (the others see a FIN).
        const auto conns = n.conns;
        for (const auto& [id, c] : conns) {
            close(h, id);
        }
    }
    n.alive = false;
    n.timer_at.reset();
    ++n.timer_generation;
}

void Swarm::pump(Handle h) {
    Node& n = nodes_[h];
    if (!n.alive) {
        return;
    }
    auto actions = n.engine->take_actions();
    for (peer::Action& a : actions) {
        route(h, a);
    }
    arm_timer(h);
}

void Swarm::arm_timer(Handle h) {
    Node& n = nodes_[h];
    if (!n.alive || n.engine->stopped()) {
        return;
    }
    const TimePoint t = std::max(n.engine->next_timer(), sim_.now());
    if (n.timer_at && *n.timer_at <= t) {
        return;
    }
    n.timer_at = t;
    const std::uint64_t gen = ++n.timer_generation;
    sim_.at(t, [this, h, gen] {
        Node& node = nodes_[h];
        if (!node.alive || node.timer_generation != gen) {
            return;
        }
        node.timer_at.reset();
        node.engine->on_timer(sim_.now());
        pump(h);
    });
}

void Swarm::route(Handle h, peer::Action& action) {
    Node& n = nodes_[h];
    const auto decade_action = [&] {
        if (on_decade_action) {
            on_decade_action(h, action);
        }
    };
    std::visit(Overloaded{
                   [&](peer::SendMessage& m) {
                       if (n.behavior == Behavior::silent && m.message.has_busy()) {
                           return;
                       }
                       auto msg = std::make_shared<const wire::PeerMessage>(std::move(m.message));
                       send(h, m.to, peer::frame_bytes(*msg),
                            [msg, this](peer::PeerEngine& e, NeighborId id) {
                                e.on_message(id, *msg, sim_.now());
                            });
                   },
                   [&](peer::SendChunk& c) {
                       if (n.behavior == Behavior::silent) {
                           return;
                       }
                       std::shared_ptr<const wire::Chunk> chunk = c.chunk;
                       if (n.behavior == Behavior::polluting) {
                           auto bad = std::make_shared<wire::Chunk>(*chunk);
                           std::string payload = bad->payload();
                           payload[0] = static_cast<char>(payload[0] ^ 0x5a);
                           bad->set_payload(std::move(payload));
                           chunk = std::move(bad);
                       }
                       send(h, c.to, peer::chunk_frame_bytes(*chunk),
                            [chunk, this](peer::PeerEngine& e, NeighborId id) {
                                e.on_chunk_message(id, chunk, sim_.now());
                            });
                   },
                   [&](peer::Connect& k) { connect(h, k.endpoint); },
                   [&](peer::Disconnect& d) {
                       if (on_disconnect) {
                           on_disconnect(h, d);
                       }
                       close(h, d.who);
                   },
                   [&](peer::PlayChunk& p) {
                       ++n.played;
                       if (!verify_chunk(verified_chunks_.get(), key_.public_key, config_.channel,
                                         *p.chunk, SourceEpoch{})) {
                           ++n.played_bad;
                       }
                   },
                   [&](peer::WantPeers&) {
                       sim_.after(2 * config_.tracker_delay, [this, h] { tracker_reply(h); });
                   },
                   [&](peer::DecadeFetch&) { decade_action(); },
                   [&](peer::DecadePut&) { decade_action(); },
               },
               action);
}

void Swarm::deliver(Handle h, const std::function<void(peer::PeerEngine&)>& fn) {
    if (h >= nodes_.size() || !nodes_[h].alive) {
        return;
    }
    fn(*nodes_[h].engine);
    pump(h);
}

void Swarm::send(Handle from, NeighborId to, std::uint64_t bytes,
                 std::function<void(peer::PeerEngine&, NeighborId)> deliver) {
    Node& n = nodes_[from];
    const auto it = n.conns.find(to);
    if (it == n.conns.end()) {
        return;
    }
    const std::uint64_t cid = it->second;
    Conn& c = *conn(cid);
    const bool from_a = c.a == from;
    const Handle other = from_a ? c.b : c.a;
    const bool ok = net_.transmit(n.net, nodes_[other].net, stream_id(cid, from_a), bytes,
                                  [this, cid, from_a, deliver = std::move(deliver)] {
                                      const Conn* ci = conn(cid);
                                      if (ci == nullptr) {
                                          return;
                                      }
                                      const Handle to_h = from_a ? ci->b : ci->a;
                                      const NeighborId to_id = from_a ? ci->b_id : ci->a_id;
                                      const bool open = from_a ? ci->b_open : ci->a_open;
                                      if (!open || !nodes_[to_h].alive) {
                                          return;
                                      }
                                      deliver(*nodes_[to_h].engine, to_id);
                                      pump(to_h);
                                  });
    if (!ok) {
        // Buffers overflowed: the stream is reset on both sides.
        close(from, to);
        nodes_[from].engine->on_neighbor_lost(to, Errc::busy, sim_.now());
    }
}

void Swarm::close(Handle by, NeighborId id) {
    Node& n = nodes_[by];
    const auto it = n.conns.find(id);
    if (it == n.conns.end()) {
        return;
    }
    const std::uint64_t cid = it->second;
    n.conns.erase(it);
    Conn& c = *conn(cid);
    const bool by_a = c.a == by;
    (by_a ? c.a_open : c.b_open) = false;
    const Handle other = by_a ? c.b : c.a;
    // The FIN travels behind whatever was queued on this stream.
    net_.transmit(n.net, nodes_[other].net, stream_id(cid, by_a), 0, [this, cid, by_a] {
        Conn* ci = conn(cid);
        if (ci == nullptr) {
            return;
        }
        const Handle to_h = by_a ? ci->b : ci->a;
        const NeighborId to_id = by_a ? ci->b_id : ci->a_id;
        bool& open = by_a ? ci->b_open : ci->a_open;
        if (open) {
            open = false;
            nodes_[to_h].conns.erase(to_id);
            if (nodes_[to_h].alive) {
                nodes_[to_h].engine->on_neighbor_lost(to_id, Errc::ok, sim_.now());
                pump(to_h);
            }
        }
        if (!ci->a_open && !ci->b_open) {
            conns_[cid].reset();
        }
    });
}

void Swarm::connect(Handle from, const std::string& endpoint) {
    const auto target = by_endpoint_.find(endpoint);
    if (target == by_endpoint_.end() || !nodes_[target->second].alive || target->second == from) {
        sim_.after(std::chrono::milliseconds(100), [this, from, endpoint] {
            if (nodes_[from].alive) {
                nodes_[from].engine->on_connect_failed(endpoint, sim_.now());
                pump(from);
            }
        });
        return;
    }
    const Handle to = target->second;
    const Duration rtt = net_.base_delay(nodes_[from].net, nodes_[to].net) +
                         net_.base_delay(nodes_[to].net, nodes_[from].net);
    sim_.after(rtt, [this, from, to, endpoint] {
        Node& a = nodes_[from];
        Node& b = nodes_[to];
        if (!a.alive) {
            return;
        }
        if (!b.alive) {
            a.engine->on_connect_failed(endpoint, sim_.now());
            pump(from);
            return;
        }
        const std::uint64_t cid = conns_.size();
        const NeighborId a_id{a.next_neighbor++};
        const NeighborId b_id{b.next_neighbor++};
        conns_.emplace_back(Conn{from, to, a_id, b_id});
        a.conns[a_id] = cid;
        b.conns[b_id] = cid;
        a.engine->on_neighbor_connected(a_id, endpoint, true, sim_.now());
        // The address b sees: one per node, as each simulated peer has its own host.
        b.engine->on_neighbor_connected(b_id, "node-" + std::to_string(from) + ":1", false,
                                        sim_.now());
        pump(from);
        pump(to);
    });
}

}  // namespace p2pls::netsim
