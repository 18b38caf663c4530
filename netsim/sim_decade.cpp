#include "netsim/sim_decade.hpp"

#include <algorithm>
#include <variant>

#include "common/core/overloaded.hpp"
#include "decade-module/core/requests.hpp"
#include "decade-module/core/token.hpp"
#include "p2pls/decade.pb.h"
#include "peer/core/decade_object.hpp"

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

// The simulated servers hold whatever a run stores: storage caps are not what the
// simulator measures (the network is).
constexpr std::uint64_t kUnlimitedBytes = std::uint64_t{1} << 60;

decade_server::ServerConfig server_config(const std::string& url, std::int64_t skew_s) {
    decade_server::ServerConfig c;
    c.capacity_bytes = kUnlimitedBytes;
    c.default_quota_bytes = kUnlimitedBytes;
    c.token_skew_s = skew_s;
    c.allow_any_peer = true;  // the simulated servers fetch from one another
    c.self_urls = {url};
    return c;
}

// What the engine hears for an op, read as the DECADE module's client reads an answer.
Errc errc_of(const decade_server::OpResult& r) {
    return decade::errc_for_answer(r.status, r.error);
}

// The client id the core sees (the address a real server would see).
std::string client_id(NodeId node) {
    return "sim-" + std::to_string(node);
}

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
    s->normalized_url = decade_server::normalize_server_url(url);
    s->node = net_.add_node(links);
    s->slots = slots_per_client;
    s->store = std::make_unique<decade_server::MemoryStore>();
    s->core = std::make_unique<decade_server::ServerCore>(server_config(url, skew_s), *s->store);
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
        decade_server::LockerRecord record;
        record.id = l.id;
        std::copy(l.secret.begin(), l.secret.end(), record.secret.begin());
        record.quota_bytes = kUnlimitedBytes;
        (void)s->core->add_locker(record);
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
    return s == nullptr ? 0 : s->core->reference_count();
}

std::size_t SimDecade::blobs(const std::string& url) const {
    const Server* s = find(url);
    return s == nullptr ? 0 : s->core->blob_count();
}

SimDecade::Server* SimDecade::find(const std::string& url) const {
    for (const auto& s : servers_) {
        if (s->url == url) {
            return s.get();
        }
    }
    return nullptr;
}

SimDecade::Server* SimDecade::find_remote(std::string_view remote_server) const {
    const std::string url = decade_server::normalize_server_url(remote_server);
    for (const auto& s : servers_) {
        if (!url.empty() && s->normalized_url == url) {
            return s.get();
        }
    }
    return nullptr;
}

void SimDecade::count_refusal(Server& s, const decade_server::OpResult& r) {
    if (r.status == 401 || r.status == 403) {
        ++s.stats.token_refusals;
    } else if (r.status == 404) {
        ++s.stats.not_found;
    }
}

std::int64_t SimDecade::unix_now() const {
    return unix_offset_s_ +
           std::chrono::duration_cast<std::chrono::seconds>(sim_.now().time_since_epoch()).count();
}

std::uint64_t SimDecade::stream(NodeId a, NodeId b, std::uint64_t slot) const {
    return kStreamBase + ((static_cast<std::uint64_t>(a) << 20 | b) << 6) + slot % 64;
}

Result<std::shared_ptr<const std::string>> SimDecade::get(const std::string& url,
                                                          const std::string& locker,
                                                          const std::string& name,
                                                          const std::string& token) const {
    Server* s = find(url);
    if (s == nullptr || !s->alive) {
        return make_error_code(Errc::unavailable);
    }
    const decade_server::OpResult r = s->core->get({token, ""}, locker, name, unix_now());
    if (!r.ok()) {
        return make_error_code(errc_of(r));
    }
    return r.data;
}

std::vector<std::shared_ptr<const wire::Chunk>> SimDecade::decoded(
    const std::shared_ptr<const std::string>& data) {
    if (!data) {
        return {};
    }
    Decoded& d = decoded_[data.get()];
    if (d.data.lock() != data) {
        d.data = data;
        d.chunks.clear();
        if (auto chunks = peer::decode_object(*data)) {
            for (wire::Chunk& c : *chunks) {
                d.chunks.push_back(std::make_shared<const wire::Chunk>(std::move(c)));
            }
        }
    }
    return d.chunks;
}

void SimDecade::sweep() {
    for (auto& s : servers_) {
        s->core->sweep(unix_now());
    }
    std::erase_if(decoded_, [](const auto& entry) { return entry.second.data.expired(); });
    sim_.after(kSweepInterval, [this] { sweep(); });
}

void SimDecade::on_action(Handle h, peer::Action& action) {
    // The swarm routes only storage actions here; the others are its own.
    std::visit(Overloaded{
                   [&](peer::DecadeFetch& f) { fetch(h, std::move(f)); },
                   [&](peer::DecadePut& p) { put(h, std::move(p)); },
                   [](const peer::SendMessage&) {},
                   [](const peer::SendChunk&) {},
                   [](const peer::Connect&) {},
                   [](const peer::Disconnect&) {},
                   [](const peer::PlayChunk&) {},
                   [](const peer::WantPeers&) {},
               },
               action);
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
        const std::int64_t now = unix_now();
        const auto client = std::make_shared<const std::string>(client_id(swarm_.net_node(h)));
        for (std::size_t i = 0; i < fp->ops.size(); ++i) {
            const decade_api::RemoteGetOp& op = fp->ops[i];
            ++s->stats.ops;
            peer::DecadeObjectResult& out = state->results[i];
            const decade_server::Caller asker{op.token(), *client};
            decade_server::RemoteGetStep step = s->core->begin_remote_get(asker, op, now);
            if (auto* done = std::get_if<decade_server::OpResult>(&step)) {
                // Refused, or linked: the object was on this server.
                if (done->ok()) {
                    ++s->stats.links;
                    out.data = *done->data;
                    out.chunks = decoded(done->data);
                } else {
                    count_refusal(*s, *done);
                    out.code = errc_of(*done);
                }
                finish();
                continue;
            }
            const auto& fetch = std::get<decade_server::RemoteFetch>(step);
            Server* r = find_remote(op.remote_server());
            if (r == nullptr || !r->alive) {
                const decade_server::FetchOutcome nobody{0, {}, "remote server unreachable"};
                out.code = errc_of(s->core->finish_remote_get(asker, op, nobody, now));
                finish();
                continue;
            }
            // The GET travels to the remote server (one way), which answers it at once; the
            // bytes then cross its uplink and the path back.
            sim_.after(net_.base_delay(s->node, r->node), [this, s, r, fp, client, state, i, fetch,
                                                           finish] {
                const decade_api::RemoteGetOp& sent = fp->ops[i];
                const decade_server::Caller from{sent.token(), *client};
                if (!r->alive) {
                    const decade_server::FetchOutcome nobody{0, {}, "remote server unreachable"};
                    state->results[i].code =
                        errc_of(s->core->finish_remote_get(from, sent, nobody, unix_now()));
                    finish();
                    return;
                }
                decade_server::OpResult got = r->core->get(
                    {fetch.token, s->url}, sent.remote_locker(), sent.remote_name(), unix_now());
                if (!got.ok()) {
                    count_refusal(*s, got);
                    const decade_server::FetchOutcome refused{got.status, {}, {}};
                    state->results[i].code =
                        errc_of(s->core->finish_remote_get(from, sent, refused, unix_now()));
                    finish();
                    return;
                }
                const auto data = got.data;
                s->stats.s2s_bytes_in += data->size();
                net_.transmit(r->node, s->node, stream(r->node, s->node, fp->id + i),
                              data->size() + kHttpOverheadBytes,
                              [this, s, fp, client, state, i, data, finish] {
                                  const decade_api::RemoteGetOp& arrived = fp->ops[i];
                                  const decade_server::FetchOutcome fetched{200, *data, {}};
                                  const decade_server::OpResult stored = s->core->finish_remote_get(
                                      {arrived.token(), *client}, arrived, fetched, unix_now());
                                  if (stored.ok()) {
                                      state->results[i].data = *stored.data;
                                      state->results[i].chunks = decoded(stored.data);
                                  } else {
                                      count_refusal(*s, stored);
                                      state->results[i].code = errc_of(stored);
                                  }
                                  finish();
                              });
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
                const std::string client = client_id(swarm_.net_node(h));
                const decade_server::OpResult r = s->core->put(
                    {pp->token, client}, locker, pp->name, *pp->data, pp->ttl_s, unix_now());
                code = errc_of(r);
                if (r.ok()) {
                    s->stats.data_bytes_in += pp->data->size();
                } else {
                    count_refusal(*s, r);
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
