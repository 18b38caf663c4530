// PeerEngine in DECADE mode (issue 7; DESIGN.md §4 "DECADE mode"; draft §4): range tokens
// on buffer maps, Remote Get through the home server in batches over m slots, native
// fallbacks, puts by the origin. The hooks into the native engine are in peer_engine.cpp.
#include <algorithm>
#include <cctype>
#include <functional>

#include "common/core/chunk_signature.hpp"
#include "decade-module/core/batching.hpp"
#include "decade-module/core/object_name.hpp"
#include "decade-module/core/token.hpp"
#include "peer/core/decade_object.hpp"
#include "peer/core/peer_engine.hpp"

namespace p2pls::peer {
namespace {

bool is_token_error(Errc c) {
    const auto v = static_cast<int>(c);
    return v >= static_cast<int>(Errc::token_malformed) && v < static_cast<int>(Errc::not_found);
}

std::string prefix_for(const EngineConfig& c) {
    if (!c.decade.name_prefix.empty()) {
        return c.decade.name_prefix;
    }
    std::string p;
    for (char ch : c.channel.substr(0, 40)) {
        const bool ok = std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' ||
                        ch == '_' || ch == '~' || ch == '-';
        p.push_back(ok ? ch : '_');
    }
    return p + "-";
}

std::uint32_t k_of(const EngineConfig& c) {
    return std::clamp<std::uint32_t>(c.decade.object_chunks, 1,
                                     static_cast<std::uint32_t>(kMaxObjectChunks));
}

std::int64_t whole_seconds_up(Duration d) {
    const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
    return std::max<std::int64_t>(s, 1);
}

}  // namespace

UnixSeconds PeerEngine::unix_now(TimePoint now) const {
    return config_.decade.unix_offset_s +
           std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

ChunkSeq PeerEngine::object_of(ChunkSeq seq) const {
    const std::uint64_t k = k_of(config_);
    return ChunkSeq{seq.value() - seq.value() % k};
}

Duration PeerEngine::buffer_map_interval() const {
    return decade() ? config_.decade.token_refresh : config_.buffer_map_interval;
}

bool PeerEngine::decade_blocked(TimePoint now) const {
    return now < decade_blocked_until_;
}

std::string PeerEngine::mint_range_token(ChunkSeq first, ChunkSeq last, TimePoint now) const {
    if (!decade()) {
        return {};
    }
    decade::TokenClaims c;
    c.locker = config_.decade.locker;
    c.ops = decade::op_bit(decade::Op::get);
    c.prefix = prefix_for(config_);
    c.seq_first = first.value();
    c.seq_last = std::max(last, first).value();
    const UnixSeconds t = unix_now(now);
    c.not_before_s = std::max<UnixSeconds>(t - 1, 0);
    c.expiry_s = std::max<UnixSeconds>(t, 0) + whole_seconds_up(config_.decade.token_lifetime);
    c.token_id = first.value();
    decade::LockerSecret secret{};
    std::copy(config_.decade.secret.begin(), config_.decade.secret.end(), secret.begin());
    auto token = decade::generate_token(secret, c);
    return token ? *token : std::string{};
}

// A neighbour's range token: kept when it is well formed and names what it claims to.
// The MAC is for the server to check; we only read scope and expiry to pick holders.
void PeerEngine::decade_on_range_token(Neighbor& n, const wire::RangeToken& rt) {
    const auto claims = decade::decode_token_unverified(rt.token());
    const bool ok = claims && claims->locker == rt.locker() &&
                    (claims->ops & decade::op_bit(decade::Op::get)) != 0 &&
                    claims->prefix == rt.name_prefix() && rt.object_chunks() == k_of(config_) &&
                    !rt.server().empty() && rt.server().size() <= 256;
    if (!ok) {
        ++decade_stats_.token_failures;
        n.range_token.reset();
        return;
    }
    n.range_token = rt;
    n.token_first = claims->seq_first;
    n.token_last = claims->seq_last;
    n.token_expiry_s = claims->expiry_s;
}

void PeerEngine::decade_fill_buffer_map(wire::BufferMap& bm, TimePoint now) {
    // Only what our locker holds: neighbours fetch it from there.
    ChunkBitmap bits = store_.bitmap();
    for (ChunkSeq seq = bits.base(); seq < bits.end(); ++seq) {
        if (bits.test(seq) && !locker_.contains(seq)) {
            bits.reset(seq);
        }
    }
    bm.set_bits(bits.encode());
    const ChunkSeq first = object_of(store_.base());
    if (!range_token_ || range_token_->first != first ||
        now - range_token_->minted >= std::chrono::seconds(1)) {
        // Scope: the window we advertise. The origin's window ends at the live edge, so
        // its token also covers the chunks it will announce with Have before the next map.
        ChunkSeq last = store_.end() - 1;
        if (config_.origin) {
            last = last + config_.chunks_in(config_.decade.token_lifetime) + k_of(config_);
        }
        CachedToken t;
        t.token.set_server(config_.decade.server);
        t.token.set_locker(config_.decade.locker);
        t.token.set_token(mint_range_token(first, last, now));
        t.token.set_object_chunks(k_of(config_));
        t.token.set_name_prefix(prefix_for(config_));
        t.first = first;
        t.minted = now;
        range_token_ = std::move(t);
    }
    *bm.mutable_range_token() = range_token_->token;
}

void PeerEngine::decade_schedule(TimePoint now) {
    std::vector<std::uint64_t> timed_out;
    for (const auto& [id, f] : fetches_) {
        if (now - f.sent_at >= config_.decade.fetch_timeout) {
            timed_out.push_back(id);
        }
    }
    for (std::uint64_t id : timed_out) {
        decade_fail_fetch(id, Errc::timeout, Duration{0}, now);
    }
    if (!playback_.joined() || !live_edge_) {
        return;
    }
    const UnixSeconds unix = unix_now(now);
    std::set<ChunkSeq> native_in_flight;
    for (const auto& [id, n] : table_.all()) {
        for (const auto& [seq, t] : n.in_flight) {
            native_in_flight.insert(seq);
        }
    }
    std::map<NeighborId, std::size_t> load;
    for (const auto& [id, f] : fetches_) {
        for (NeighborId h : f.holders) {
            ++load[h];
        }
    }
    struct Want {
        ChunkSeq object;
        TimePoint due{};
        NeighborId holder;
    };
    std::vector<Want> wants;
    const ChunkSeq from = std::max(playback_.playhead(), store_.base());
    const ChunkSeq to = std::min(*live_edge_ + 1, store_.end());
    bool anything_missing = false;
    std::vector<NeighborId> candidates;
    for (ChunkSeq seq = from; seq < to; ++seq) {
        if (store_.has(seq) || native_in_flight.contains(seq)) {
            continue;
        }
        anything_missing = true;
        const ChunkSeq o = object_of(seq);
        if (objects_in_flight_.contains(o) || (!wants.empty() && wants.back().object == o)) {
            continue;
        }
        const Duration time_left = playback_.due(seq, now) - now;
        // A holder on another server costs a server-to-server copy. About one peer in
        // cross_server_share (by a hash of peer and object: no coordination) copies a new
        // object at once; the others wait for a holder on their own server until the chunk
        // is within fallback_margin + a share of cross_server_spread of its deadline.
        const std::uint64_t h =
            std::hash<std::string>{}(config_.peer_id.value()) ^ (o.value() * 0x9e3779b97f4a7c15ULL);
        const bool early = h % std::max<std::uint32_t>(config_.decade.cross_server_share, 1) == 0;
        const auto spread = static_cast<std::uint64_t>(
            std::max<std::int64_t>(config_.decade.cross_server_spread.count(), 1));
        const Duration patience = early
                                      ? Duration::max()
                                      : config_.decade.fallback_margin +
                                            Duration{static_cast<std::int64_t>((h >> 8) % spread)};
        // While calm (a copy across servers was slow lately), only the early share copies.
        const bool cross_ok = time_left < patience && (early || now >= cross_server_calm_until_);
        // Holder: one whose locker holds it and whose token covers it, on our own server
        // first (the server links instead of copying), then the least loaded.
        candidates.clear();
        std::size_t best = SIZE_MAX;
        for (auto& [id, n] : table_.all()) {
            if (!n.established || !n.decade || !n.range_token || !n.map || !n.map->test(seq) ||
                o.value() < n.token_first || o.value() > n.token_last ||
                n.token_expiry_s <= unix + 1) {
                continue;
            }
            n.last_useful = now;
            const bool same_server = n.range_token->server() == config_.decade.server;
            if (!same_server && !cross_ok) {
                continue;
            }
            const std::size_t score = (same_server ? 0 : 1000) + load[id];
            if (score < best) {
                best = score;
                candidates.clear();
            }
            if (score == best) {
                candidates.push_back(id);
            }
        }
        if (candidates.empty()) {
            continue;
        }
        std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
        const NeighborId holder = candidates[pick(rng_)];
        ++load[holder];
        wants.push_back({o, playback_.due(seq, now), holder});
    }
    if (!anything_missing) {
        for (auto& [id, n] : table_.all()) {
            n.last_useful = now;  // nothing to fetch: nobody is useless for that
        }
    }
    const std::size_t slots = std::max<std::uint32_t>(config_.decade.slots, 1);
    if (wants.empty() || decade_blocked(now) || fetches_.size() >= slots) {
        return;
    }
    const std::uint32_t k = k_of(config_);
    std::vector<decade::PendingGet> pending;
    for (std::size_t i = 0; i < wants.size(); ++i) {
        pending.push_back({i, config_.decade.server, wants[i].due, chunk_bytes_estimate_ * k});
    }
    decade::BatchPolicy policy;
    policy.max_ops_per_batch = std::max<std::size_t>(config_.decade.max_ops_per_batch, 1);
    policy.max_bytes_per_batch = 64ULL * 1024 * 1024;
    policy.urgent_within = config_.decade.fallback_margin + config_.chunk_duration;
    const auto plan = decade::plan_requests(
        std::move(pending), {{config_.decade.server, slots - fetches_.size()}}, now, policy);
    const std::string prefix = prefix_for(config_);
    for (const decade::PlannedRequest& req : plan.requests) {
        ChunkSeq lo = wants[req.ids.front()].object, hi = lo;
        for (std::uint64_t i : req.ids) {
            lo = std::min(lo, wants[i].object);
            hi = std::max(hi, wants[i].object);
        }
        // Our own put-token for the names this request stores into our locker.
        decade::TokenClaims own;
        own.locker = config_.decade.locker;
        own.ops = decade::op_bit(decade::Op::put) | decade::op_bit(decade::Op::get);
        own.prefix = prefix;
        own.seq_first = lo.value();
        own.seq_last = hi.value();
        own.not_before_s = std::max<UnixSeconds>(unix - 1, 0);
        own.expiry_s =
            std::max<UnixSeconds>(unix, 0) + whole_seconds_up(config_.decade.fetch_timeout) + 2;
        own.token_id = next_decade_id_;
        decade::LockerSecret secret{};
        std::copy(config_.decade.secret.begin(), config_.decade.secret.end(), secret.begin());
        const auto own_token = decade::generate_token(secret, own);
        if (!own_token) {
            return;  // a misconfigured locker: nothing can be stored
        }
        DecadeFetch f;
        f.id = next_decade_id_++;
        f.urgent = req.urgent;
        FetchState st;
        st.sent_at = now;
        for (std::uint64_t i : req.ids) {
            const Want& w = wants[i];
            const Neighbor* n = table_.find(w.holder);
            decade_api::RemoteGetOp op;
            op.set_locker(config_.decade.locker);
            op.set_name(decade::object_name(prefix, w.object.value()));
            op.set_token(*own_token);
            op.set_ttl_s(config_.decade.object_ttl_s);
            op.set_remote_server(n->range_token->server());
            if (n->range_token->server() != config_.decade.server) {
                ++decade_stats_.cross_server;
                ++st.cross_server;
            }
            op.set_remote_locker(n->range_token->locker());
            op.set_remote_name(
                decade::object_name(n->range_token->name_prefix(), w.object.value()));
            op.set_remote_token(n->range_token->token());
            f.ops.push_back(std::move(op));
            st.objects.push_back(w.object);
            st.holders.push_back(w.holder);
            objects_in_flight_[w.object] = f.id;
        }
        ++decade_stats_.requests;
        if (f.ops.size() > 1) {
            ++decade_stats_.batches;
            decade_stats_.batched_objects += f.ops.size();
        }
        fetches_.emplace(f.id, std::move(st));
        actions_.push_back(std::move(f));
    }
}

void PeerEngine::decade_fail_fetch(std::uint64_t id, Errc code, Duration retry_after,
                                   TimePoint now) {
    const auto it = fetches_.find(id);
    if (it == fetches_.end()) {
        return;
    }
    for (ChunkSeq o : it->second.objects) {
        objects_in_flight_.erase(o);
    }
    if (code == Errc::timeout) {
        cross_server_calm_until_ = now + config_.decade.cross_server_calm;
    }
    fetches_.erase(it);
    ++decade_stats_.failed_requests;
    // Busy: wait what the server asked (bounded); down or slow: back off. Meanwhile
    // chunks within the urgent window go native (peer_engine.cpp, run_scheduler).
    const Duration wait = code == Errc::busy
                              ? std::clamp<Duration>(retry_after, std::chrono::milliseconds(100),
                                                     std::chrono::seconds(10))
                              : config_.decade.down_backoff;
    decade_blocked_until_ = std::max(decade_blocked_until_, now + wait);
    next_tick_ = std::min(next_tick_, now);
}

void PeerEngine::on_decade_fetched(std::uint64_t id, DecadeResult result, TimePoint now) {
    if (stopped_) {
        return;
    }
    last_now_ = now;
    const auto it = fetches_.find(id);
    if (it == fetches_.end()) {
        return;  // timed out before: its objects were asked again
    }
    decade_stats_.control_bytes += result.control_bytes;
    if (result.code != Errc::ok || result.objects.size() != it->second.objects.size()) {
        decade_fail_fetch(id, result.code == Errc::ok ? Errc::message_malformed : result.code,
                          result.retry_after, now);
        return;
    }
    FetchState st = std::move(it->second);
    fetches_.erase(it);
    // Congestion at a server's uplink shows first as slow copies across servers. Every
    // peer whose patience ran out then copied too, each copy slowed the next, requests
    // timed out and were asked again: with k = 4 and m >= 2 the simulated swarm
    // (decade_swarm_sim_test.cpp) missed 64-73 % of its chunks. Calming down to the early
    // share lets the uplink drain and the server-local links take over.
    if (st.cross_server > 0 && now - st.sent_at > config_.decade.fallback_margin) {
        cross_server_calm_until_ = now + config_.decade.cross_server_calm;
    }
    for (ChunkSeq o : st.objects) {
        objects_in_flight_.erase(o);
    }
    decade_blocked_until_ = std::min(decade_blocked_until_, now);
    std::vector<ChunkSeq> stored;
    for (std::size_t i = 0; i < st.objects.size(); ++i) {
        const DecadeObjectResult& r = result.objects[i];
        const ChunkSeq o = st.objects[i];
        Neighbor* holder = table_.find(st.holders[i]);
        if (r.code != Errc::ok) {
            if (is_token_error(r.code)) {
                ++decade_stats_.token_failures;
                if (holder != nullptr) {
                    holder->range_token.reset();  // until its next buffer map
                }
            }
            continue;
        }
        ++decade_stats_.objects_fetched;
        decade_stats_.bytes_from_decade += r.data.size();
        traffic_.download_media_bytes += r.data.size();
        auto chunks = decode_object(r.data, k_of(config_));
        bool bad = !chunks;
        if (chunks) {
            for (const wire::Chunk& c : *chunks) {
                if (object_of(ChunkSeq{c.seq()}) != o ||
                    !verify_chunk(config_.public_key, config_.channel, c)) {
                    bad = true;
                    break;
                }
            }
        }
        if (bad) {
            // Never stored, played or advertised; whoever stored it is not trusted again.
            ++traffic_.chunks_rejected;
            if (holder != nullptr) {
                const NeighborId hid = holder->id;
                table_.ban(holder->peer_id, holder->endpoint);
                drop(hid, Errc::signature_invalid,
                     "object " + std::to_string(o.value()) + " failed verification: banned");
            }
            continue;
        }
        if (holder != nullptr) {
            holder->last_useful = now;
        }
        for (wire::Chunk& c : *chunks) {
            const ChunkSeq seq{c.seq()};
            if (!store_.bitmap().in_window(seq)) {
                continue;
            }
            if (store_.has(seq)) {
                ++traffic_.chunks_duplicate;
            } else {
                chunk_bytes_estimate_ = (chunk_bytes_estimate_ * 7 + c.ByteSizeLong()) / 8;
                store_.insert(std::make_shared<const wire::Chunk>(std::move(c)));
            }
            stored.push_back(seq);
        }
    }
    decade_stored(stored, now);
    advance_playback(now);
    next_tick_ = std::min(next_tick_, now);
}

// These seqs are now in our locker: advertise them (a Have for each).
void PeerEngine::decade_stored(const std::vector<ChunkSeq>& seqs, TimePoint /*now*/) {
    for (ChunkSeq seq : seqs) {
        if (store_.has(seq) && locker_.insert(seq).second) {
            announce_have(seq, std::nullopt);
        }
    }
}

void PeerEngine::decade_origin_chunk(ChunkSeq seq, TimePoint now) {
    last_now_ = now;
    const std::uint32_t k = k_of(config_);
    const ChunkSeq o = object_of(seq);
    if (seq != o + (k - 1)) {
        return;  // the object is put when its last chunk is in
    }
    std::vector<std::shared_ptr<const wire::Chunk>> chunks;
    PutState st;
    for (ChunkSeq s = o; s < o + k; ++s) {
        if (auto c = store_.get(s)) {
            chunks.push_back(std::move(c));
            st.seqs.push_back(s);
        }
    }
    if (chunks.empty()) {
        return;
    }
    st.data = std::make_shared<const std::string>(encode_object(chunks));
    st.name = decade::object_name(prefix_for(config_), o.value());
    st.attempts = 0;
    const std::uint64_t id = next_decade_id_++;
    puts_.emplace(id, std::move(st));
    on_decade_put(id, DecadeResult{Errc::unavailable, Duration{0}, {}, 0}, now);
}

// Also (re)sends a put: a failed put is tried up to 3 times.
void PeerEngine::on_decade_put(std::uint64_t id, DecadeResult result, TimePoint now) {
    if (stopped_) {
        return;
    }
    last_now_ = now;
    auto it = puts_.find(id);
    if (it == puts_.end()) {
        return;
    }
    PutState st = std::move(it->second);
    puts_.erase(it);
    decade_stats_.control_bytes += result.control_bytes;
    if (st.attempts > 0 && result.code == Errc::ok) {
        decade_stored(st.seqs, now);
        return;
    }
    if (st.attempts > 0) {
        ++decade_stats_.put_failures;
    }
    if (st.attempts >= 3 || st.seqs.empty() || !store_.has(st.seqs.back())) {
        return;
    }
    const UnixSeconds unix = unix_now(now);
    decade::TokenClaims own;
    own.locker = config_.decade.locker;
    own.ops = decade::op_bit(decade::Op::put);
    own.prefix = prefix_for(config_);
    own.seq_first = object_of(st.seqs.front()).value();
    own.seq_last = own.seq_first;
    own.not_before_s = std::max<UnixSeconds>(unix - 1, 0);
    own.expiry_s =
        std::max<UnixSeconds>(unix, 0) + whole_seconds_up(config_.decade.fetch_timeout) + 2;
    own.token_id = id;
    decade::LockerSecret secret{};
    std::copy(config_.decade.secret.begin(), config_.decade.secret.end(), secret.begin());
    auto token = decade::generate_token(secret, own);
    if (!token) {
        return;
    }
    ++st.attempts;
    ++decade_stats_.puts;
    st.sent_at = now;
    const std::uint64_t new_id = next_decade_id_++;
    DecadePut p{new_id, st.name, st.data, config_.decade.object_ttl_s, std::move(*token)};
    puts_.emplace(new_id, std::move(st));
    actions_.push_back(std::move(p));
}

void PeerEngine::decade_maintain(TimePoint now) {
    std::vector<std::uint64_t> late;
    for (const auto& [id, p] : puts_) {
        if (now - p.sent_at >= config_.decade.fetch_timeout) {
            late.push_back(id);
        }
    }
    for (std::uint64_t id : late) {
        on_decade_put(id, DecadeResult{Errc::timeout, Duration{0}, {}, 0}, now);
    }
    const ChunkSeq base = store_.base();
    locker_.erase(locker_.begin(), locker_.lower_bound(base));
    fallback_seqs_.erase(fallback_seqs_.begin(), fallback_seqs_.lower_bound(base));
    // Forget tokens of neighbours that expired.
    const UnixSeconds unix = unix_now(now);
    for (auto& [id, n] : table_.all()) {
        if (n.range_token && n.token_expiry_s <= unix) {
            n.range_token.reset();
        }
    }
}

}  // namespace p2pls::peer
