#include "netsim/sim_decade.hpp"

#include <algorithm>
#include <set>

#include "decade-module/core/token.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::netsim {
namespace {

// HTTP/1.1 request line and headers (Host, Content-Type, Content-Length, X-Decade-Client)
// of one request, and status line and headers of one reply, roughly.
constexpr std::uint64_t kHttpRequestBytes = 180;
constexpr std::uint64_t kHttpOverheadBytes = 120;
constexpr std::uint64_t kPerOpReplyBytes = 16;  // OperationResult framing per op
constexpr Duration kSweepInterval = std::chrono::seconds(5);
constexpr Duration kBusyRetryAfter = std::chrono::seconds(1);
constexpr std::uint64_t kStreamBase = std::uint64_t{1} << 48;

}  // namespace

SimDecade::SimDecade(Simulator& sim, Network& net, Swarm& swarm, std::int64_t unix_offset_s)
    : sim_(sim), net_(net), swarm_(swarm), unix_offset_s_(unix_offset_s) {
    swarm_.on_decade_action = [this](Handle h, peer::Action& a) { on_action(h, a); };
    sim_.after(kSweepInterval, [this] { sweep(); });
}

void SimDecade::add_server(const std::string& url, NodeLinks links, std::size_t slots_per_client,
                           std::int64_t skew_s) {
    auto s = std::make_unique<Server>();
    s->url = url;
    s->node = net_.add_node(links);
    s->slots = slots_per_client;
    s->skew_s = skew_s;
    servers_.push_back(std::move(s));
}

SimDecadeLocker SimDecade::register_locker(const std::string& url) {
    Server* s = find(url);
    SimDecadeLocker l;
    l.id = "L" + std::to_string(next_locker_++);
    for (auto& b : l.secret) {
        b = static_cast<unsigned char>(sim_.rng()() & 0xff);
    }
    if (s != nullptr) {
        decade::LockerSecret secret{};
        std::copy(l.secret.begin(), l.secret.end(), secret.begin());
        s->lockers.erase(l.id);
        s->lockers.emplace(l.id, LockerKey(secret));
    }
    return l;
}

void SimDecade::set_alive(const std::string& url, bool alive) {
    if (Server* s = find(url)) {
        s->alive = alive;
        if (!alive) {
            s->in_service.clear();
        }
    }
}

const SimDecadeStats& SimDecade::stats(const std::string& url) const {
    static const SimDecadeStats none{};
    const Server* s = find(url);
    return s == nullptr ? none : s->stats;
}

std::uint64_t SimDecade::bytes_sent(const std::string& url) const {
    const Server* s = find(url);
    return s == nullptr ? 0 : net_.bytes_sent(s->node);
}

std::size_t SimDecade::references(const std::string& url) const {
    const Server* s = find(url);
    std::size_t n = 0;
    if (s != nullptr) {
        for (const auto& [l, objs] : s->objects) {
            n += objs.size();
        }
    }
    return n;
}

std::size_t SimDecade::blobs(const std::string& url) const {
    const Server* s = find(url);
    std::set<const std::string*> distinct;
    if (s != nullptr) {
        for (const auto& [l, objs] : s->objects) {
            for (const auto& [name, o] : objs) {
                distinct.insert(o.data.get());
            }
        }
    }
    return distinct.size();
}

SimDecade::Server* SimDecade::find(const std::string& url) {
    for (auto& s : servers_) {
        if (s->url == url) {
            return s.get();
        }
    }
    return nullptr;
}

const SimDecade::Server* SimDecade::find(const std::string& url) const {
    for (const auto& s : servers_) {
        if (s->url == url) {
            return s.get();
        }
    }
    return nullptr;
}

std::int64_t SimDecade::unix_now() const {
    return unix_offset_s_ +
           std::chrono::duration_cast<std::chrono::seconds>(sim_.now().time_since_epoch()).count();
}

std::uint64_t SimDecade::stream(NodeId a, NodeId b, std::uint64_t slot) const {
    return kStreamBase + ((static_cast<std::uint64_t>(a) << 20 | b) << 6) + slot % 64;
}

Errc SimDecade::check(const Server& s, std::string_view token, std::string_view locker,
                      std::uint8_t op, std::string_view name, std::uint64_t bytes) const {
    const decade::SecretLookup lookup = [&s](std::string_view l) -> const LockerKey* {
        const auto it = s.lockers.find(std::string(l));
        return it == s.lockers.end() ? nullptr : &it->second;
    };
    decade::TokenRequest req;
    req.locker = locker;
    req.op = static_cast<decade::Op>(op);
    req.object_name = name;
    req.bytes = bytes;
    const auto r = decade::verify_token(token, lookup, req, unix_now(), s.skew_s);
    return r ? Errc::ok : static_cast<Errc>(r.error().value());
}

Result<std::shared_ptr<const std::string>> SimDecade::get(const std::string& url,
                                                          const std::string& locker,
                                                          const std::string& name,
                                                          const std::string& token) const {
    const Server* s = find(url);
    if (s == nullptr || !s->alive) {
        return make_error_code(Errc::unavailable);
    }
    if (const Errc e = check(*s, token, locker, decade::op_bit(decade::Op::get), name, 0);
        e != Errc::ok) {
        return make_error_code(e);
    }
    const auto l = s->objects.find(locker);
    if (l == s->objects.end()) {
        return make_error_code(Errc::not_found);
    }
    const auto o = l->second.find(name);
    if (o == l->second.end() || o->second.expires <= sim_.now()) {
        return make_error_code(Errc::not_found);
    }
    return o->second.data;
}

void SimDecade::sweep() {
    const TimePoint now = sim_.now();
    for (auto& s : servers_) {
        for (auto& [l, objs] : s->objects) {
            std::erase_if(objs, [&](const auto& e) { return e.second.expires <= now; });
        }
    }
    sim_.after(kSweepInterval, [this] { sweep(); });
}

void SimDecade::on_action(Handle h, peer::Action& action) {
    if (auto* f = std::get_if<peer::DecadeFetch>(&action)) {
        fetch(h, std::move(*f));
    } else if (auto* p = std::get_if<peer::DecadePut>(&action)) {
        put(h, std::move(*p));
    }
}

void SimDecade::refuse(Handle h, const std::string& url,
                       std::function<void(peer::PeerEngine&)> fn) {
    const Server* s = find(url);
    const NodeId c = swarm_.net_node(h);
    const Duration rtt = s == nullptr ? std::chrono::milliseconds(100)
                                      : net_.base_delay(c, s->node) + net_.base_delay(s->node, c);
    sim_.after(rtt, [this, h, fn = std::move(fn)] { swarm_.deliver(h, fn); });
}

void SimDecade::reply(Server& s, Handle h, std::uint64_t stream_id, std::uint64_t bytes,
                      std::function<void(peer::PeerEngine&)> fn) {
    net_.transmit(s.node, swarm_.net_node(h), stream_id, bytes,
                  [this, h, fn = std::move(fn)] { swarm_.deliver(h, fn); });
}

void SimDecade::fetch(Handle h, peer::DecadeFetch f) {
    const std::string url = swarm_.engine(h).config().decade.server;
    const std::uint64_t id = f.id;
    Server* s = find(url);
    if (s == nullptr || !s->alive) {
        refuse(h, url, [this, id](peer::PeerEngine& e) {
            e.on_decade_fetched(id, peer::DecadeResult{Errc::unavailable, Duration{0}, {}, 0},
                                sim_.now());
        });
        return;
    }
    decade_api::BatchRequest br;
    for (const auto& op : f.ops) {
        *br.add_ops()->mutable_remote_get() = op;
    }
    const std::uint64_t req_bytes = br.ByteSizeLong() + kHttpRequestBytes;
    const NodeId c = swarm_.net_node(h);
    const std::uint64_t st = stream(c, s->node, id);
    auto fp = std::make_shared<peer::DecadeFetch>(std::move(f));
    net_.transmit(c, s->node, st, req_bytes, [this, h, s, fp, st, req_bytes] {
        const std::uint64_t fid = fp->id;
        if (!s->alive) {
            refuse(h, s->url, [this, fid](peer::PeerEngine& e) {
                e.on_decade_fetched(fid, peer::DecadeResult{Errc::unavailable, Duration{0}, {}, 0},
                                    sim_.now());
            });
            return;
        }
        std::size_t& busy = s->in_service[h];
        if (busy >= s->slots) {
            ++s->stats.busy_refusals;
            reply(*s, h, st, kHttpOverheadBytes, [this, fid, req_bytes](peer::PeerEngine& e) {
                e.on_decade_fetched(
                    fid,
                    peer::DecadeResult{
                        Errc::busy, kBusyRetryAfter, {}, req_bytes + kHttpOverheadBytes},
                    sim_.now());
            });
            return;
        }
        ++busy;
        s->stats.max_in_service = std::max<std::uint64_t>(s->stats.max_in_service, busy);
        ++s->stats.requests;
        struct State {
            std::vector<peer::DecadeObjectResult> results;
            std::size_t remaining = 0;
        };
        auto state = std::make_shared<State>();
        state->results.resize(fp->ops.size());
        state->remaining = fp->ops.size() + 1;  // +1 until every op is started
        const auto finish = [this, h, s, fp, st, req_bytes, state] {
            if (--state->remaining != 0) {
                return;
            }
            if (auto it = s->in_service.find(h); it != s->in_service.end() && it->second > 0) {
                --it->second;
            }
            const std::uint64_t done_id = fp->id;
            if (!s->alive) {
                refuse(h, s->url, [this, done_id](peer::PeerEngine& e) {
                    e.on_decade_fetched(done_id,
                                        peer::DecadeResult{Errc::unavailable, Duration{0}, {}, 0},
                                        sim_.now());
                });
                return;
            }
            std::uint64_t data = 0;
            for (const auto& r : state->results) {
                data += r.data.size();
            }
            s->stats.data_bytes_out += data;
            const std::uint64_t overhead =
                kHttpOverheadBytes + kPerOpReplyBytes * state->results.size();
            auto result = std::make_shared<peer::DecadeResult>();
            result->code = Errc::ok;
            result->objects = std::move(state->results);
            result->control_bytes = req_bytes + overhead;
            reply(*s, h, st, data + overhead, [this, done_id, result](peer::PeerEngine& e) {
                e.on_decade_fetched(done_id, std::move(*result), sim_.now());
            });
        };
        const TimePoint now = sim_.now();
        for (std::size_t i = 0; i < fp->ops.size(); ++i) {
            const decade_api::RemoteGetOp& op = fp->ops[i];
            ++s->stats.ops;
            peer::DecadeObjectResult& out = state->results[i];
            if (Errc e = check(*s, op.token(), op.locker(), decade::op_bit(decade::Op::put),
                               op.name(), 0);
                e != Errc::ok) {
                ++s->stats.token_refusals;
                out.code = e;
                finish();
                continue;
            }
            Server* r = find(op.remote_server());
            if (r == nullptr || !r->alive) {
                out.code = Errc::unavailable;
                finish();
                continue;
            }
            if (Errc e = check(*r, op.remote_token(), op.remote_locker(),
                               decade::op_bit(decade::Op::get), op.remote_name(), 0);
                e != Errc::ok) {
                ++s->stats.token_refusals;
                out.code = e;
                finish();
                continue;
            }
            std::shared_ptr<const std::string> data;
            if (auto l = r->objects.find(op.remote_locker()); l != r->objects.end()) {
                if (auto o = l->second.find(op.remote_name());
                    o != l->second.end() && o->second.expires > now) {
                    data = o->second.data;
                }
            }
            if (!data) {
                ++s->stats.not_found;
                out.code = Errc::not_found;
                finish();
                continue;
            }
            const TimePoint expires = now + std::chrono::seconds(op.ttl_s());
            const std::string locker = op.locker(), name = op.name();
            if (r == s) {
                ++s->stats.links;
                s->objects[locker][name] = Object{data, expires};
                out.data = *data;
                finish();
                continue;
            }
            // Server to server: the bytes cross the remote's uplink and our downlink.
            s->stats.s2s_bytes_in += data->size();
            net_.transmit(r->node, s->node, stream(r->node, s->node, fp->id + i),
                          data->size() + kHttpOverheadBytes,
                          [s, state, i, data, locker, name, expires, finish] {
                              s->objects[locker][name] = Object{data, expires};
                              state->results[i].data = *data;
                              finish();
                          });
        }
        finish();
    });
}

void SimDecade::put(Handle h, peer::DecadePut p) {
    const std::string url = swarm_.engine(h).config().decade.server;
    const std::uint64_t id = p.id;
    Server* s = find(url);
    if (s == nullptr || !s->alive || !p.data) {
        refuse(h, url, [this, id](peer::PeerEngine& e) {
            e.on_decade_put(id, peer::DecadeResult{Errc::unavailable, Duration{0}, {}, 0},
                            sim_.now());
        });
        return;
    }
    const NodeId c = swarm_.net_node(h);
    const std::uint64_t st = stream(c, s->node, id);
    auto pp = std::make_shared<peer::DecadePut>(std::move(p));
    const std::string locker = swarm_.engine(h).config().decade.locker;
    net_.transmit(
        c, s->node, st, pp->data->size() + kHttpRequestBytes, [this, h, s, pp, st, locker] {
            const std::uint64_t pid = pp->id;
            Errc code = Errc::unavailable;
            if (s->alive) {
                ++s->stats.requests;
                ++s->stats.ops;
                code = check(*s, pp->token, locker, decade::op_bit(decade::Op::put), pp->name,
                             pp->data->size());
                if (code == Errc::ok) {
                    s->objects[locker][pp->name] =
                        Object{pp->data, sim_.now() + std::chrono::seconds(pp->ttl_s)};
                    s->stats.data_bytes_in += pp->data->size();
                }
                if (code != Errc::ok) {
                    ++s->stats.token_refusals;
                }
            }
            reply(*s, h, st, kHttpOverheadBytes, [this, pid, code](peer::PeerEngine& e) {
                e.on_decade_put(pid,
                                peer::DecadeResult{
                                    code, Duration{0}, {}, kHttpRequestBytes + kHttpOverheadBytes},
                                sim_.now());
            });
        });
}

}  // namespace p2pls::netsim
