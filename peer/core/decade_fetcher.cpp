#include "peer/core/decade_fetcher.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include "common/core/chunk_signature.hpp"
#include "decade-module/core/batching.hpp"
#include "decade-module/core/object_name.hpp"
#include "decade-module/core/token.hpp"
#include "peer/core/decade_holders.hpp"
#include "peer/core/decade_object.hpp"

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

std::int64_t whole_seconds_up(Duration d) {
    const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
    return std::max<std::int64_t>(s, 1);
}

}  // namespace

DecadeFetcher::DecadeFetcher(const EngineConfig& config)
    : config_(config),
      k_(std::clamp<std::uint32_t>(config.decade.object_chunks, 1,
                                   static_cast<std::uint32_t>(kMaxObjectChunks))),
      prefix_(prefix_for(config)),
      peer_key_(std::hash<std::string>{}(config.peer_id.value())) {}

ChunkSeq DecadeFetcher::object_of(ChunkSeq seq) const {
    return ChunkSeq{seq.value() - seq.value() % k_};
}

UnixSeconds DecadeFetcher::unix_now(TimePoint now) const {
    return config_.decade.unix_offset_s +
           std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

std::optional<std::string> DecadeFetcher::mint(std::uint8_t ops, ChunkSeq first, ChunkSeq last,
                                               std::int64_t lifetime_s, std::uint64_t token_id,
                                               TimePoint now) const {
    decade::TokenClaims c;
    c.locker = config_.decade.locker;
    c.ops = ops;
    c.prefix = prefix_;
    c.seq_first = first.value();
    c.seq_last = std::max(last, first).value();
    const UnixSeconds t = unix_now(now);
    c.not_before_s = std::max<UnixSeconds>(t - 1, 0);
    c.expiry_s = std::max<UnixSeconds>(t, 0) + lifetime_s;
    c.token_id = token_id;
    decade::LockerSecret secret{};
    std::copy(config_.decade.secret.begin(), config_.decade.secret.end(), secret.begin());
    auto token = decade::generate_token(secret, c);
    if (!token) {
        return std::nullopt;
    }
    return std::move(*token);
}

std::string DecadeFetcher::mint_range_token(ChunkSeq first, ChunkSeq last, TimePoint now) const {
    if (!enabled()) {
        return {};
    }
    return mint(decade::op_bit(decade::Op::get), first, last,
                whole_seconds_up(config_.decade.token_lifetime), first.value(), now)
        .value_or(std::string{});
}

void DecadeFetcher::on_range_token(Neighbor& n, const wire::RangeToken& rt) {
    const auto claims = decade::decode_token_unverified(rt.token());
    const bool ok = claims && claims->locker == rt.locker() &&
                    (claims->ops & decade::op_bit(decade::Op::get)) != 0 &&
                    claims->prefix == rt.name_prefix() && rt.object_chunks() == k_ &&
                    !rt.server().empty() && rt.server().size() <= 256;
    if (!ok) {
        ++stats_.token_failures;
        n.range_token.reset();
        return;
    }
    n.range_token = rt;
    n.token_first = claims->seq_first;
    n.token_last = claims->seq_last;
    n.token_expiry_s = claims->expiry_s;
}

void DecadeFetcher::fill_buffer_map(wire::BufferMap& bm, const ChunkStore& store, TimePoint now,
                                    std::uint64_t& sent) {
    ChunkBitmap bits = store.bitmap();
    for (ChunkSeq seq = bits.base(); seq < bits.end(); ++seq) {
        if (bits.test(seq) && !locker_.contains(seq)) {
            bits.reset(seq);
        }
    }
    bm.set_bits(bits.encode());
    // Scope: from the window we advertise to a token lifetime past its end, so that one
    // token also covers every chunk we announce with Have while it lives. Re-minted at
    // half its lifetime (a neighbour gets it within token_refresh, well before the old
    // one expires), or should the window ever outrun it.
    const ChunkSeq first = object_of(store.base());
    const bool stale = !range_token_ ||
                       now - range_token_->minted >= config_.decade.token_lifetime / 2 ||
                       store.end() - 1 > range_token_->last;
    if (stale) {
        const ChunkSeq last =
            object_of(store.end() - 1 + config_.chunks_in(config_.decade.token_lifetime)) +
            (k_ - 1);
        CachedToken t;
        t.token.set_server(config_.decade.server);
        t.token.set_locker(config_.decade.locker);
        t.token.set_token(mint_range_token(first, last, now));
        t.token.set_object_chunks(k_);
        t.token.set_name_prefix(prefix_);
        t.first = first;
        t.last = last;
        t.minted = now;
        t.generation = range_token_ ? range_token_->generation + 1 : 1;
        range_token_ = std::move(t);
    }
    if (sent != range_token_->generation) {
        *bm.mutable_range_token() = range_token_->token;
        sent = range_token_->generation;
    }
}

std::vector<DecadeFetch> DecadeFetcher::schedule(NeighborTable& table, const ChunkStore& store,
                                                 const Playback& playback, ChunkSeq live_edge,
                                                 std::uint64_t chunk_bytes, std::mt19937_64& rng,
                                                 TimePoint now) {
    std::vector<std::uint64_t> timed_out;
    for (const auto& [id, f] : fetches_) {
        if (now - f.sent_at >= config_.decade.fetch_timeout) {
            timed_out.push_back(id);
        }
    }
    for (std::uint64_t id : timed_out) {
        fail_fetch(id, Errc::timeout, Duration{0}, now);
    }
    std::vector<DecadeFetch> out;
    if (!playback.joined()) {
        return out;
    }
    const UnixSeconds unix = unix_now(now);
    std::set<ChunkSeq> native_in_flight;
    for (const auto& [id, n] : table.all()) {
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
    const bool calmed = calm(now);
    std::vector<DecadeNeed> needs;
    const ChunkSeq from = std::max(playback.playhead(), store.base());
    ChunkSeq to = std::min(live_edge + 1, store.end());
    // Before startup, only what startup waits for: the rest of the startup lag would
    // queue at the home server's egress ahead of our own startup chunks (and everyone
    // else's in a flash crowd).
    if (!playback.started()) {
        const ChunkSeq startup_end =
            object_of(playback.playhead() + config_.chunks_in(config_.startup_buffer) - 1) + k_;
        to = std::min(to, startup_end);
    }
    // Once playing, what our server holds only when due within fetch_ahead: the rest of the
    // lag comes a chunk at a time as playback reaches it, not all at once on top of
    // everyone else's. What it does not hold yet, the early share copies in at once, so
    // that the region has it long before it is due (DecadeNeed::beyond_horizon).
    ChunkSeq horizon = to;
    if (playback.started()) {
        horizon =
            object_of(playback.playhead() +
                      std::max<std::uint64_t>(config_.chunks_in(config_.decade.fetch_ahead), 1) -
                      1) +
            k_;
    }
    bool anything_missing = false;
    for (ChunkSeq seq = from; seq < to; ++seq) {
        if (store.has(seq) || native_in_flight.contains(seq)) {
            continue;
        }
        anything_missing = true;
        const ChunkSeq o = object_of(seq);
        if (objects_in_flight_.contains(o)) {
            continue;
        }
        const Duration time_left = playback.due(seq, now) - now;
        const bool across = may_copy_across(peer_key_, o, time_left, calmed, config_.decade);
        if (seq >= horizon && !across) {
            continue;
        }
        needs.push_back({seq, o, across, seq >= horizon});
    }
    std::vector<DecadeHolderView> holders;
    for (const auto& [id, n] : table.all()) {
        if (!n.established || !n.decade || !n.range_token || !n.map) {
            continue;
        }
        holders.push_back({id, &*n.map, n.token_first, n.token_last, n.token_expiry_s > unix + 1,
                           n.range_token->server() == config_.decade.server, n.is_source,
                           load[id]});
    }
    const DecadeChoices chosen =
        choose_decade_holders(needs, std::move(holders), [&](std::size_t c) {
            std::uniform_int_distribution<std::size_t> pick(0, c - 1);
            return pick(rng);
        });
    for (NeighborId id : chosen.useful) {
        table.find(id)->last_useful = now;
    }
    if (!anything_missing) {
        for (auto& [id, n] : table.all()) {
            n.last_useful = now;  // nothing to fetch: nobody is useless for that
        }
    }
    std::vector<DecadeChoice> wants = chosen.choices;
    hold_lone_object(wants, playback, now);
    const std::size_t slots = std::max<std::uint32_t>(config_.decade.slots, 1);
    if (wants.empty() || blocked(now) || fetches_.size() >= slots) {
        return out;
    }

    std::vector<decade::PendingGet> pending;
    for (std::size_t i = 0; i < wants.size(); ++i) {
        pending.push_back(
            {i, config_.decade.server, playback.due(wants[i].seq, now), chunk_bytes * k_});
    }
    decade::BatchPolicy policy;
    policy.max_ops_per_batch = std::max<std::size_t>(config_.decade.max_ops_per_batch, 1);
    policy.min_ops_per_batch = k_ > 1 ? 1 : 2;  // hold_lone_object() waits for the second
    policy.max_bytes_per_batch = 64ULL * 1024 * 1024;
    policy.urgent_within = config_.decade.fallback_margin + config_.chunk_duration;
    const auto plan = decade::plan_requests(
        std::move(pending), {{config_.decade.server, slots - fetches_.size()}}, now, policy);
    for (const decade::PlannedRequest& req : plan.requests) {
        ChunkSeq lo = wants[req.ids.front()].object, hi = lo;
        for (std::uint64_t i : req.ids) {
            lo = std::min(lo, wants[i].object);
            hi = std::max(hi, wants[i].object);
        }
        // Our own token for the names this request stores into our locker.
        const auto own_token =
            mint(decade::op_bit(decade::Op::put) | decade::op_bit(decade::Op::get), lo, hi,
                 whole_seconds_up(config_.decade.fetch_timeout) + 2, next_id_, now);
        if (!own_token) {
            break;  // a misconfigured locker: nothing can be stored
        }
        DecadeFetch f;
        f.id = next_id_++;
        f.urgent = req.urgent;
        FetchState st;
        st.sent_at = now;
        for (std::uint64_t i : req.ids) {
            const DecadeChoice& w = wants[i];
            const Neighbor* n = table.find(w.holder);
            decade_api::RemoteGetOp op;
            op.set_locker(config_.decade.locker);
            op.set_name(decade::object_name(prefix_, w.object.value()));
            op.set_token(*own_token);
            op.set_ttl_s(config_.decade.object_ttl_s);
            op.set_remote_server(n->range_token->server());
            if (n->range_token->server() != config_.decade.server) {
                ++stats_.cross_server;
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
        ++stats_.requests;
        if (f.ops.size() > 1) {
            ++stats_.batches;
            stats_.batched_objects += f.ops.size();
        }
        fetches_.emplace(f.id, std::move(st));
        out.push_back(std::move(f));
    }
    return out;
}

std::set<ChunkSeq> DecadeFetcher::awaited(const Playback& playback, TimePoint now) const {
    // A peer close to live (a young channel, or one that caught up) asks storage for a
    // chunk with less than fallback_margin left. The fallback used to ask it natively at
    // the same tick, so each chunk came twice and the source uploaded it anyway. Half the
    // time left is the request's fair share: past it, a native copy can still arrive.
    std::set<ChunkSeq> out;
    for (const auto& [id, f] : fetches_) {
        for (ChunkSeq o : f.objects) {
            for (ChunkSeq seq = o; seq < o + k_; ++seq) {
                const Duration slack = playback.due(seq, f.sent_at) - f.sent_at;
                if (now - f.sent_at < slack / 2) {
                    out.insert(seq);
                }
            }
        }
    }
    return out;
}

void DecadeFetcher::hold_lone_object(std::vector<DecadeChoice>& wants, const Playback& playback,
                                     TimePoint now) {
    // Forget objects no longer wanted (fetched, asked, or out of the window).
    std::erase_if(wanted_since_, [&](const auto& e) {
        return std::none_of(wants.begin(), wants.end(),
                            [&](const DecadeChoice& w) { return w.object == e.first; });
    });
    for (const DecadeChoice& w : wants) {
        wanted_since_.try_emplace(w.object, now);
    }
    // Startup waits for nothing. Objects of several chunks already carry several chunks
    // per request, and the next one is several chunks away: they do not wait either.
    if (!playback.started() || k_ > 1) {
        return;
    }
    const Duration urgent = config_.decade.fallback_margin + config_.chunk_duration;
    std::size_t calm_wants = 0;
    const DecadeChoice* lone = nullptr;
    for (const DecadeChoice& w : wants) {
        if (playback.due(w.seq, now) - now >= urgent) {
            ++calm_wants;
            lone = &w;
        }
    }
    // Up to two chunks' time: the next object reaches our holders about a chunk after
    // this one, and a hold of exactly one would just miss it.
    if (calm_wants == 1 && now - wanted_since_[lone->object] < 2 * config_.chunk_duration) {
        const ChunkSeq held = lone->object;
        std::erase_if(wants, [&](const DecadeChoice& w) { return w.object == held; });
    }
}

void DecadeFetcher::fail_fetch(std::uint64_t id, Errc code, Duration retry_after, TimePoint now) {
    const auto it = fetches_.find(id);
    if (it == fetches_.end()) {
        return;
    }
    for (ChunkSeq o : it->second.objects) {
        objects_in_flight_.erase(o);
    }
    if (code == Errc::timeout) {
        calm_until_ = now + config_.decade.cross_server_calm;
    }
    fetches_.erase(it);
    ++stats_.failed_requests;
    // Busy: wait what the server asked (bounded); down or slow: back off.
    const Duration wait = code == Errc::busy
                              ? std::clamp<Duration>(retry_after, std::chrono::milliseconds(100),
                                                     std::chrono::seconds(10))
                              : config_.decade.down_backoff;
    blocked_until_ = std::max(blocked_until_, now + wait);
}

DecadeFetcher::Fetched DecadeFetcher::on_fetched(
    std::uint64_t id, const DecadeResult& result, NeighborTable& table, ChunkStore& store,
    Traffic& traffic, std::uint64_t& chunk_bytes,
    const std::function<void(NeighborId, std::string)>& drop, TimePoint now) {
    Fetched out;
    const auto it = fetches_.find(id);
    if (it == fetches_.end()) {
        return out;  // timed out before: its objects were asked again
    }
    out.known = true;
    stats_.control_bytes += result.control_bytes;
    if (result.code != Errc::ok || result.objects.size() != it->second.objects.size()) {
        fail_fetch(id, result.code == Errc::ok ? Errc::message_malformed : result.code,
                   result.retry_after, now);
        return out;
    }
    out.delivered = true;
    FetchState st = std::move(it->second);
    fetches_.erase(it);
    // Congestion at a server's uplink shows first as slow copies across servers. Every
    // peer whose patience ran out then copied too, each copy slowed the next, requests
    // timed out and were asked again: with k = 4 and m >= 2 the simulated swarm
    // (decade_swarm_sim_test.cpp) missed 64-73 % of its chunks. Calming down to the early
    // share lets the uplink drain and the server-local links take over.
    if (st.cross_server > 0 && now - st.sent_at > config_.decade.fallback_margin) {
        calm_until_ = now + config_.decade.cross_server_calm;
    }
    for (ChunkSeq o : st.objects) {
        objects_in_flight_.erase(o);
    }
    blocked_until_ = std::min(blocked_until_, now);
    std::vector<ChunkSeq> got;
    for (std::size_t i = 0; i < st.objects.size(); ++i) {
        const DecadeObjectResult& r = result.objects[i];
        const ChunkSeq o = st.objects[i];
        Neighbor* holder = table.find(st.holders[i]);
        if (r.code != Errc::ok) {
            if (is_token_error(r.code)) {
                ++stats_.token_failures;
                if (holder != nullptr) {
                    holder->range_token.reset();  // until its next buffer map
                }
            }
            continue;
        }
        ++stats_.objects_fetched;
        stats_.bytes_from_decade += r.data.size();
        traffic.download_media_bytes += r.data.size();
        std::vector<std::shared_ptr<const wire::Chunk>> chunks = r.chunks;
        bool bad = chunks.size() > k_;
        if (chunks.empty()) {
            auto decoded = decode_object(r.data, k_);
            bad = !decoded;
            if (decoded) {
                for (wire::Chunk& c : *decoded) {
                    chunks.push_back(std::make_shared<const wire::Chunk>(std::move(c)));
                }
            }
        }
        for (std::size_t j = 0; !bad && j < chunks.size(); ++j) {
            const wire::Chunk* c = chunks[j].get();
            bad = c == nullptr || object_of(ChunkSeq{c->seq()}) != o ||
                  !verify_chunk(config_.verified_chunks.get(), config_.public_key, config_.channel,
                                *c, config_.epoch);
        }
        if (bad) {
            // Never stored, played or advertised; whoever stored it is not trusted again.
            ++traffic.chunks_rejected;
            if (holder != nullptr) {
                const NeighborId hid = holder->id;
                table.ban_connection(*holder);
                drop(hid, "object " + std::to_string(o.value()) + " failed verification: banned");
            }
            continue;
        }
        if (holder != nullptr) {
            holder->last_useful = now;
        }
        for (std::shared_ptr<const wire::Chunk>& c : chunks) {
            const ChunkSeq seq{c->seq()};
            if (!store.bitmap().in_window(seq)) {
                continue;
            }
            if (store.has(seq)) {
                ++traffic.chunks_duplicate;
            } else {
                chunk_bytes = (chunk_bytes * 7 + c->ByteSizeLong()) / 8;
                store.insert(std::move(c));
            }
            got.push_back(seq);
        }
    }
    out.advertise = stored(got, store);
    return out;
}

std::vector<ChunkSeq> DecadeFetcher::stored(const std::vector<ChunkSeq>& seqs,
                                            const ChunkStore& store) {
    std::vector<ChunkSeq> out;
    for (ChunkSeq seq : seqs) {
        if (store.has(seq) && locker_.insert(seq).second) {
            out.push_back(seq);
        }
    }
    return out;
}

std::optional<DecadePut> DecadeFetcher::on_origin_chunk(ChunkSeq seq, const ChunkStore& store,
                                                        TimePoint now) {
    const ChunkSeq o = object_of(seq);
    if (seq != o + (k_ - 1)) {
        return std::nullopt;  // the object is put when its last chunk is in
    }
    std::vector<std::shared_ptr<const wire::Chunk>> chunks;
    PutState st;
    for (ChunkSeq s = o; s < o + k_; ++s) {
        if (auto c = store.get(s)) {
            chunks.push_back(std::move(c));
            st.seqs.push_back(s);
        }
    }
    if (chunks.empty()) {
        return std::nullopt;
    }
    st.data = std::make_shared<const std::string>(encode_object(chunks));
    st.name = decade::object_name(prefix_, o.value());
    st.attempts = 0;
    const std::uint64_t id = next_id_++;
    puts_.emplace(id, std::move(st));
    // The first try goes the way every retry does.
    return on_put(id, DecadeResult{Errc::unavailable, Duration{0}, {}, 0}, store, now).retry;
}

DecadeFetcher::PutOutcome DecadeFetcher::on_put(std::uint64_t id, const DecadeResult& result,
                                                const ChunkStore& store, TimePoint now) {
    PutOutcome out;
    auto it = puts_.find(id);
    if (it == puts_.end()) {
        return out;
    }
    PutState st = std::move(it->second);
    puts_.erase(it);
    stats_.control_bytes += result.control_bytes;
    if (st.attempts > 0 && result.code == Errc::ok) {
        out.advertise = stored(st.seqs, store);
        return out;
    }
    if (st.attempts > 0) {
        ++stats_.put_failures;
    }
    if (st.attempts >= 3 || st.seqs.empty() || !store.has(st.seqs.back())) {
        return out;
    }
    const ChunkSeq o = object_of(st.seqs.front());
    auto token = mint(decade::op_bit(decade::Op::put), o, o,
                      whole_seconds_up(config_.decade.fetch_timeout) + 2, id, now);
    if (!token) {
        return out;
    }
    ++st.attempts;
    ++stats_.puts;
    st.sent_at = now;
    const std::uint64_t new_id = next_id_++;
    out.retry = DecadePut{new_id, st.name, st.data, config_.decade.object_ttl_s, std::move(*token)};
    puts_.emplace(new_id, std::move(st));
    return out;
}

std::vector<DecadePut> DecadeFetcher::maintain(NeighborTable& table, const ChunkStore& store,
                                               TimePoint now) {
    std::vector<DecadePut> out;
    std::vector<std::uint64_t> late;
    for (const auto& [id, p] : puts_) {
        if (now - p.sent_at >= config_.decade.fetch_timeout) {
            late.push_back(id);
        }
    }
    for (std::uint64_t id : late) {
        if (auto retry =
                on_put(id, DecadeResult{Errc::timeout, Duration{0}, {}, 0}, store, now).retry) {
            out.push_back(std::move(*retry));
        }
    }
    const ChunkSeq base = store.base();
    locker_.erase(locker_.begin(), locker_.lower_bound(base));
    fallback_seqs_.erase(fallback_seqs_.begin(), fallback_seqs_.lower_bound(base));
    // Forget tokens of neighbours that expired.
    const UnixSeconds unix = unix_now(now);
    for (auto& [id, n] : table.all()) {
        if (n.range_token && n.token_expiry_s <= unix) {
            n.range_token.reset();
        }
    }
    return out;
}

void DecadeFetcher::count_fallback(ChunkSeq seq) {
    if (fallback_seqs_.insert(seq).second) {
        ++stats_.fallbacks;
    }
}

}  // namespace p2pls::peer
