// PeerEngine, the events that are not messages: tracker replies and connections coming
// and going, time passing (buffer maps, maintenance, the scheduler tick, playback),
// publishing (origin mode), the DECADE server's answers, and the report. Message routing
// is in peer_engine.cpp.
#include <algorithm>

#include "common/core/chunk_signature.hpp"
#include "common/core/host_port.hpp"
#include "peer/core/handshake.hpp"
#include "peer/core/peer_engine.hpp"
#include "peer/core/qoe_report.hpp"
#include "peer/core/scheduler.hpp"

namespace p2pls::peer {
namespace {

constexpr double kInitialRateBytesPerS = 125'000;

}  // namespace

// ---------------------------------------------------------------------------------------
// Membership and connections

void PeerEngine::on_peer_list(const std::vector<PeerCandidate>& peers,
                              std::optional<ChunkSeq> live_edge, TimePoint now) {
    if (stopped_) {
        return;
    }
    membership_.on_peer_list(table_, peers, rng_);
    if (live_edge) {
        observe_live_edge(*live_edge, true, now);
    }
    refill(now);
}

void PeerEngine::on_neighbor_connected(NeighborId id, const std::string& endpoint, bool outbound,
                                       TimePoint now) {
    if (stopped_) {
        actions_.push_back(Disconnect{id, Errc::ok, "stopping"});
        return;
    }
    if (outbound) {
        membership_.on_connected(endpoint);
    }
    Neighbor n;
    n.id = id;
    n.outbound = outbound;
    if (outbound) {
        n.endpoint = endpoint;
    } else {
        std::string why;
        auto seen = parse_host_port(endpoint, HostPortRules{.allow_port_zero = true}, why);
        n.remote_host = seen ? std::move(seen->host) : std::string{};
        if (table_.banned_host(n.remote_host)) {
            actions_.push_back(Disconnect{id, Errc::signature_invalid,
                                          "banned address (sent a bad chunk before)"});
            return;
        }
    }
    n.connected_at = now;
    n.last_heard = now;
    n.last_useful = now;
    n.last_requested = now;
    n.rate_bytes_per_s = kInitialRateBytesPerS;
    n.hello_nonce = hello_nonce(config_.nonce_key, ++hellos_sent_);
    std::string nonce = n.hello_nonce;
    if (table_.find(id) != nullptr || !table_.add(std::move(n))) {
        send(id, make_bye("full"));
        actions_.push_back(Disconnect{id, Errc::busy, "neighbour table full"});
        return;
    }
    send(id, make_hello(config_, std::move(nonce)));
}

void PeerEngine::on_connect_failed(const std::string& endpoint, TimePoint now) {
    membership_.on_connect_failed(endpoint, now);
}

void PeerEngine::on_neighbor_lost(NeighborId id, Errc /*reason*/, TimePoint now) {
    if (table_.find(id) == nullptr) {
        return;
    }
    table_.remove(id);
    // Its requests are simply gone: the next tick sees those chunks as missing again.
    next_tick_ = std::min(next_tick_, now);
}

void PeerEngine::stop(TimePoint /*now*/) {
    if (stopped_) {
        return;
    }
    std::vector<NeighborId> ids;
    for (const auto& [id, n] : table_.all()) {
        ids.push_back(id);
    }
    for (NeighborId id : ids) {
        send(id, make_bye("leaving"));
        actions_.push_back(Disconnect{id, Errc::ok, "leaving"});
        table_.remove(id);
    }
    stopped_ = true;
}

void PeerEngine::maintain(TimePoint now) {
    for (const auto& [id, why] : membership_.to_drop(table_, store_.base(), now)) {
        drop(id, Errc::timeout, why);
    }
    membership_.forget_stale_connects(now);
    refill(now);
}

void PeerEngine::refill(TimePoint now) {
    if (!stopped_) {
        for (Action& a : membership_.refill(table_, now)) {
            actions_.push_back(std::move(a));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Live edge, joining and playback

void PeerEngine::observe_live_edge(ChunkSeq seq, bool trusted, TimePoint now) {
    if (live_edge_.observe(seq, trusted, now)) {
        maybe_join(now);
    }
}

void PeerEngine::maybe_join(TimePoint now) {
    if (config_.origin || playback_.joined() || !live_edge_.value()) {
        return;
    }
    const ChunkSeq start = *live_edge_.value() - config_.chunks_in(config_.startup_lag);
    playback_.join(start);
    store_.slide_to(start - config_.window / 2);
    send_buffer_maps(now);
}

void PeerEngine::advance_playback(TimePoint now) {
    if (config_.origin || !playback_.joined()) {
        return;
    }
    const auto step = playback_.advance(now, store_.bitmap());
    for (ChunkSeq seq : step.played) {
        if (auto chunk = store_.get(seq)) {
            actions_.push_back(PlayChunk{std::move(chunk)});
        }
    }
    if (trace_) {
        const std::uint64_t startup = step.started ? config_.chunks_in(config_.startup_buffer) : 0;
        for (std::size_t i = 0; i < step.played.size(); ++i) {
            trace_->played(step.played[i], step.played_due[i], now, step.played_late[i],
                           i < startup);
        }
        for (ChunkSeq seq : step.skipped) {
            trace_->note(seq, now, "skipped", "", 0, holders_detail(seq, now));
            trace_->missed(seq, now - config_.skip_after, now);
        }
    }
    const ChunkSeq base = playback_.playhead() - config_.window / 2;
    if (base > store_.base()) {
        store_.slide_to(base);
    }
    if (trace_) {
        trace_->forget_before(store_.base());
    }
}

// ---------------------------------------------------------------------------------------
// Timers

TimePoint PeerEngine::next_timer() const {
    TimePoint t = std::min(next_buffer_map_, next_maintenance_);
    if (!config_.origin) {
        t = std::min(t, next_tick_);
        if (const auto p = playback_.next_event()) {
            t = std::min(t, *p);
        }
    }
    return t;
}

void PeerEngine::on_timer(TimePoint now) {
    if (stopped_) {
        return;
    }
    advance_playback(now);
    if (now >= next_buffer_map_) {
        send_buffer_maps(now);
        next_buffer_map_ = now + config_.full_map_interval();
    }
    if (now >= next_maintenance_) {
        if (decade()) {
            for (DecadePut& p : decade_.maintain(table_, store_, now)) {
                actions_.push_back(std::move(p));
            }
        }
        maintain(now);
        next_maintenance_ = now + config_.maintenance_interval;
    }
    if (!config_.origin && now >= next_tick_) {
        run_scheduler(now);
        next_tick_ = now + config_.tick;
    }
}

void PeerEngine::run_scheduler(TimePoint now) {
    if (!playback_.joined() || !live_edge_.value()) {
        return;
    }
    const ChunkSeq edge = *live_edge_.value();
    if (!playback_.started()) {
        planner_.move_start_point(table_, playback_, store_, edge);
    }
    const LateRequests late = planner_.expire_late(table_, playback_, now);
    if (trace_) {
        for (const auto& [seq, id] : late.late) {
            const Neighbor* n = table_.find(id);
            trace_->note(seq, now, "late", n != nullptr ? n->peer_id.value() : std::string());
        }
        trace_->expire_fetches(now, config_.decade.fetch_timeout);
    }
    for (NeighborId id : late.too_slow) {
        if (const Neighbor* n = table_.find(id)) {
            table_.penalize(n->peer_id, n->endpoint, now + config_.penalty);
        }
        drop(id, Errc::timeout, "too slow (requests late again and again)");
    }
    if (decade()) {
        for (DecadeFetch& f :
             decade_.schedule(table_, store_, playback_, edge, chunk_bytes_estimate_, rng_, now)) {
            if (trace_) {
                trace_decade_fetch(f, now);
            }
            actions_.push_back(std::move(f));
        }
    }
    StorageState storage;
    if (decade()) {
        storage.blocked = decade_.blocked(now);
        storage.awaited = decade_.awaited(playback_, now);
    }
    const SchedulerInput input = planner_.input(table_, store_, playback_, live_edge_, late,
                                                chunk_bytes_estimate_, storage, now);
    if (input.needs.empty()) {
        return;
    }
    const auto assignments = schedule(input);
    if (decade()) {
        for (const Assignment& a : assignments) {
            decade_.count_fallback(a.seq);
        }
    }
    if (trace_) {
        for (const Assignment& a : assignments) {
            const Neighbor* n = table_.find(a.to);
            trace_->note(a.seq, now, decade() ? "fallback" : "ask",
                         n != nullptr ? n->peer_id.value() : std::string(), 0,
                         a.first_fetch ? "first fetch" : "");
        }
    }
    for (auto& [to, m] : planner_.requests(assignments, table_, playback_, now)) {
        send(to, std::move(m));
    }
}

// ---------------------------------------------------------------------------------------
// Origin mode

Result<void> PeerEngine::publish_local_chunk(wire::Chunk chunk, TimePoint now) {
    if (!config_.origin) {
        return make_error_code(Errc::message_unexpected);
    }
    if (auto ok = verify_chunk(config_.verified_chunks.get(), config_.public_key, config_.channel,
                               chunk, config_.epoch);
        !ok) {
        ++traffic_.chunks_rejected;
        return ok.error();
    }
    const ChunkSeq seq{chunk.seq()};
    published_chunk_bytes_ = (published_chunk_bytes_ * 7 + chunk_frame_bytes(chunk)) / 8;
    if (seq >= store_.end() || !live_edge_.value()) {
        store_.slide_to(seq - (config_.window - 1));
    }
    upload_.forget_before(store_.base());
    if (!store_.insert(std::make_shared<const wire::Chunk>(std::move(chunk)))) {
        return {};  // a republish or a chunk older than the window: nothing to do
    }
    live_edge_.publish(seq);
    if (decade()) {
        // Advertised once its object is in our locker.
        if (!stopped_) {
            if (auto put = decade_.on_origin_chunk(seq, store_, now)) {
                actions_.push_back(std::move(*put));
            }
        }
        return {};
    }
    announce_have(seq, std::nullopt);
    return {};
}

// ---------------------------------------------------------------------------------------
// DECADE answers

void PeerEngine::on_decade_fetched(std::uint64_t id, DecadeResult result, TimePoint now) {
    if (stopped_) {
        return;
    }
    const auto drop_holder = [this](NeighborId holder, std::string why) {
        drop(holder, Errc::signature_invalid, why);
    };
    if (trace_) {
        trace_decade_result(id, result, now);
    }
    const auto got = decade_.on_fetched(id, result, table_, store_, traffic_, chunk_bytes_estimate_,
                                        drop_holder, now);
    if (!got.known) {
        return;
    }
    announce_have(got.advertise, std::nullopt);
    if (got.delivered) {
        advance_playback(now);
    }
    next_tick_ = std::min(next_tick_, now);
}

void PeerEngine::on_decade_put(std::uint64_t id, DecadeResult result, TimePoint now) {
    if (stopped_) {
        return;
    }
    auto outcome = decade_.on_put(id, result, store_, now);
    announce_have(outcome.advertise, std::nullopt);
    if (outcome.retry) {
        actions_.push_back(std::move(*outcome.retry));
    }
}

std::string PeerEngine::mint_range_token(ChunkSeq first, ChunkSeq last, TimePoint now) const {
    return decade_.mint_range_token(first, last, now);
}

// ---------------------------------------------------------------------------------------
// Observation

report::QoeReport PeerEngine::report(TimePoint now, bool final) const {
    const QoeInputs in{config_.peer_id,
                       decade(),
                       started_at_,
                       playback_,
                       traffic_,
                       decade_.stats(),
                       static_cast<std::uint32_t>(table_.established())};
    return make_qoe_report(in, now, final);
}

std::string PeerEngine::holders_detail(ChunkSeq seq, TimePoint now) const {
    std::size_t neighbours = 0, showing = 0, covered = 0, same_server = 0;
    for (const auto& [id, n] : table_.all()) {
        if (!n.established) {
            continue;
        }
        ++neighbours;
        if (!n.map || !n.map->test(seq)) {
            continue;
        }
        ++showing;
        const std::uint64_t o = decade_.object_of(seq).value();
        if (n.range_token && n.token_first <= o && o <= n.token_last) {
            ++covered;
            same_server += n.range_token->server() == config_.decade.server ? 1 : 0;
        }
    }
    std::string out =
        std::to_string(neighbours) + " neighbours, " + std::to_string(showing) + " showing it";
    if (decade()) {
        out += ", " + std::to_string(covered) + " with a token for it (" +
               std::to_string(same_server) + " on our server); " +
               std::to_string(decade_.in_flight()) + " requests in flight";
        if (decade_.blocked(now)) {
            out += ", storage blocked";
        }
        if (decade_.calm(now)) {
            out += ", copies across servers calmed";
        }
    }
    return out;
}

void PeerEngine::trace_decade_fetch(const DecadeFetch& f, TimePoint now) {
    const std::uint32_t k = decade_.object_chunks();
    const std::vector<ChunkSeq> objects = decade_.objects_of(f.id);
    std::vector<ChunkSeq> seqs;
    for (std::size_t i = 0; i < objects.size() && i < f.ops.size(); ++i) {
        const auto& op = f.ops[i];
        const bool cross = op.remote_server() != config_.decade.server;
        std::string detail = f.urgent ? "urgent" : "";
        if (cross) {
            detail += detail.empty() ? "cross-server" : ", cross-server";
        }
        for (ChunkSeq s = objects[i]; s < objects[i] + k; ++s) {
            trace_->note(s, now, "decade-ask", op.remote_locker() + "@" + op.remote_server(),
                         static_cast<std::uint32_t>(f.ops.size()), detail);
            seqs.push_back(s);
        }
    }
    trace_->fetch_sent(f.id, std::move(seqs), now);
}

void PeerEngine::trace_decade_result(std::uint64_t id, const DecadeResult& result, TimePoint now) {
    const std::uint32_t k = decade_.object_chunks();
    const std::vector<ChunkSeq> seqs = trace_->fetch_done(id);
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        const std::size_t object = i / k;
        Errc code = result.code;
        if (code == Errc::ok) {
            code = object < result.objects.size() ? result.objects[object].code
                                                  : Errc::message_malformed;
        }
        if (code == Errc::ok) {
            trace_->note(seqs[i], now, "decade-got", "");
            continue;
        }
        std::string detail = make_error_code(code).message();
        if (code == Errc::busy) {
            detail += ", retry after " +
                      std::to_string(
                          std::chrono::duration_cast<std::chrono::milliseconds>(result.retry_after)
                              .count()) +
                      " ms";
        }
        trace_->note(seqs[i], now, "decade-failed", "", 0, std::move(detail));
    }
}

std::vector<report::ChunkTrace> PeerEngine::take_traces() {
    return trace_ ? trace_->take() : std::vector<report::ChunkTrace>{};
}

std::vector<Action> PeerEngine::take_actions() {
    std::vector<Action> out;
    out.swap(actions_);
    return out;
}

}  // namespace p2pls::peer
