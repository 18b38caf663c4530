// The engine routes: each event goes to the room that decides (membership, upload
// policy, live edge, request planner, DECADE fetcher), and what they decide goes out as
// actions, in the order it was decided.
#include "peer/core/peer_engine.hpp"

#include <algorithm>

#include "common/core/chunk_signature.hpp"
#include "common/core/peer_codec.hpp"
#include "peer/core/first_fetch.hpp"
#include "peer/core/qoe_report.hpp"
#include "peer/core/scheduler.hpp"

namespace p2pls::peer {
namespace {

constexpr double kInitialRateBytesPerS = 125'000;
constexpr double kRateWeight = 0.3;  // EWMA weight of a new rate sample

wire::PeerMessage make_bye(const std::string& reason) {
    wire::PeerMessage m;
    m.mutable_bye()->set_reason(reason);
    return m;
}

// A DECADE peer's full maps carry a fresh token, so they go out less often.
Duration buffer_map_interval(const EngineConfig& c) {
    return c.decade.enabled ? c.decade.token_refresh : c.buffer_map_interval;
}

}  // namespace

PeerEngine::PeerEngine(EngineConfig config, std::uint64_t seed, TimePoint now)
    : config_(std::move(config)),
      rng_(seed),
      started_at_(now),
      table_(config_.max_neighbors, config_.max_candidates),
      store_(config_.window),
      playback_(config_.chunk_duration, config_.chunks_in(config_.startup_buffer),
                config_.skip_after, now),
      live_edge_(config_.chunk_duration),
      membership_(config_),
      upload_(config_, now),
      planner_(config_, now),
      decade_(config_),
      next_tick_(now),
      next_buffer_map_(now + buffer_map_interval(config_)),
      next_maintenance_(now) {}

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
    n.endpoint = outbound ? endpoint : std::string{};
    n.connected_at = now;
    n.last_heard = now;
    n.last_useful = now;
    n.last_requested = now;
    n.rate_bytes_per_s = kInitialRateBytesPerS;
    if (table_.find(id) != nullptr || !table_.add(std::move(n))) {
        send(id, make_bye("full"));
        actions_.push_back(Disconnect{id, Errc::busy, "neighbour table full"});
        return;
    }
    send_hello(id);
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

void PeerEngine::drop(NeighborId id, Errc reason, const std::string& detail) {
    if (table_.find(id) == nullptr) {
        return;
    }
    send(id, make_bye(detail));
    table_.remove(id);
    ++traffic_.neighbors_dropped;
    actions_.push_back(Disconnect{id, reason, detail});
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
        perform(membership_.refill(table_, now));
    }
}

// ---------------------------------------------------------------------------------------
// Messages

void PeerEngine::on_message(NeighborId id, const wire::PeerMessage& message, TimePoint now) {
    Neighbor* n = table_.find(id);
    if (stopped_ || n == nullptr) {
        return;
    }
    n->last_heard = now;
    const std::uint64_t bytes =
        message.has_chunk() ? chunk_frame_bytes(message.chunk()) : frame_bytes(message);
    if (is_media(message)) {
        traffic_.download_media_bytes += bytes;
        (n->is_source ? traffic_.bytes_from_source : traffic_.bytes_from_peers) += bytes;
    } else {
        traffic_.download_control_bytes += bytes;
    }
    if (message.has_hello()) {
        on_hello(*n, message.hello(), now);
        return;
    }
    if (message.has_bye()) {
        on_bye(id, message.bye(), now);
        return;
    }
    if (!n->established) {
        drop(id, Errc::message_unexpected, "message before Hello");
        return;
    }
    switch (message.body_case()) {
        case wire::PeerMessage::kBufferMap:
            on_buffer_map(*n, message.buffer_map(), now);
            break;
        case wire::PeerMessage::kHave:
            on_have(*n, message.have(), now);
            break;
        case wire::PeerMessage::kRequest:
            on_request(*n, message.request(), now);
            break;
        case wire::PeerMessage::kChunk:
            on_chunk(*n, message.chunk(), now);
            break;
        case wire::PeerMessage::kBusy:
            on_busy(*n, message.busy(), now);
            break;
        default:
            drop(id, Errc::message_malformed, "empty message");
            break;
    }
}

void PeerEngine::on_bye(NeighborId id, const wire::Bye& bye, TimePoint now) {
    table_.remove(id);
    actions_.push_back(
        Disconnect{id, Errc::ok, "neighbour said Bye: " + bye.reason().substr(0, 80)});
    next_tick_ = std::min(next_tick_, now);
}

void PeerEngine::on_hello(Neighbor& n, const wire::Hello& hello, TimePoint now) {
    const NeighborId id = n.id;
    const PeerId peer_id{hello.peer_id().substr(0, 128)};
    if (n.established) {
        drop(id, Errc::message_unexpected, "second Hello");
        return;
    }
    if (hello.version() != kWireVersion) {
        drop(id, Errc::version_mismatch,
             "Hello for protocol version " + std::to_string(hello.version()));
        return;
    }
    if (hello.channel() != config_.channel) {
        drop(id, Errc::channel_mismatch, "Hello for another channel");
        return;
    }
    if (peer_id == config_.peer_id) {
        drop(id, Errc::message_unexpected, "connected to itself");
        return;
    }
    if (table_.banned(peer_id)) {
        drop(id, Errc::signature_invalid, "banned peer (sent a bad chunk before)");
        return;
    }
    if (const Neighbor* other = table_.find_peer(peer_id)) {
        // Both sides connected to each other at once. Keep the connection opened by the
        // smaller peer id, so that both ends make the same choice.
        const PeerId& opener_new = n.outbound ? config_.peer_id : peer_id;
        const PeerId& opener_old = other->outbound ? config_.peer_id : peer_id;
        if (opener_new == opener_old || opener_old < opener_new) {
            drop(id, Errc::message_unexpected, "duplicate connection to the same peer");
            return;
        }
        drop(other->id, Errc::message_unexpected, "duplicate connection to the same peer");
    }
    n.established = true;
    n.peer_id = peer_id;
    n.is_source = hello.is_source();
    n.decade = hello.mode() == wire::decade;
    if (n.endpoint.empty()) {
        n.endpoint = hello.listen_endpoint().substr(0, 256);
    }
    if (table_.penalized(peer_id, n.endpoint, now)) {
        drop(id, Errc::busy, "recently dropped as too slow or useless");
        return;
    }
    if (table_.banned_endpoint(n.endpoint)) {
        drop(id, Errc::signature_invalid, "banned endpoint (sent a bad chunk before)");
        return;
    }
    n.last_useful = now;
    send_buffer_map(id, now);
}

void PeerEngine::on_buffer_map(Neighbor& n, const wire::BufferMap& bm, TimePoint now) {
    auto map = ChunkBitmap::decode(ChunkSeq{bm.base()}, bm.window(), bm.bits());
    if (!map) {
        drop(n.id, static_cast<Errc>(map.error().value()),
             "bad buffer map: " + map.error().message());
        return;
    }
    n.map = std::move(*map);
    n.playhead =
        bm.has_playhead() ? std::optional<ChunkSeq>(ChunkSeq{bm.playhead()}) : std::nullopt;
    if (n.is_source) {
        planner_.on_source_first_fetch_ppm(bm.first_fetch_ppm());
    }
    if (decade() && bm.has_range_token()) {
        decade_.on_range_token(n, bm.range_token());
    }
    if (bm.live_edge() > 0) {
        n.live_edge = std::max(n.live_edge, ChunkSeq{bm.live_edge()});
        observe_live_edge(ChunkSeq{bm.live_edge()}, n.is_source, now);
    }
}

void PeerEngine::on_have(Neighbor& n, const wire::Have& have, TimePoint now) {
    if (static_cast<std::size_t>(have.seqs_size()) > config_.max_request_seqs) {
        drop(n.id, Errc::message_malformed, "Have listing too many seqs");
        return;
    }
    if (!n.map) {
        return;  // its first buffer map will tell
    }
    for (std::uint64_t raw : have.seqs()) {
        const ChunkSeq seq{raw};
        if (seq >= n.map->end()) {
            // It moved on: slide its window, never beyond what the live edge allows.
            const auto limit = live_edge_.expected(now);
            if (limit && seq > *limit + config_.window) {
                drop(n.id, Errc::chunk_out_of_window, "Have for a chunk far past the live edge");
                return;
            }
            n.map->slide_to(seq - (n.map->window() - 1));
        }
        n.map->set(seq);
        if (n.is_source || seq > n.live_edge) {
            n.live_edge = std::max(n.live_edge, seq);
        }
        observe_live_edge(seq, n.is_source, now);
    }
}

void PeerEngine::on_request(Neighbor& n, const wire::Request& request, TimePoint now) {
    const std::uint64_t w = config_.window;
    if (request.seqs_size() == 0 ||
        static_cast<std::size_t>(request.seqs_size()) > config_.max_request_seqs) {
        drop(n.id, Errc::message_malformed, "Request with no or too many seqs");
        return;
    }
    // A little slack around our window: the requester saw a map up to T_bm old.
    for (std::uint64_t raw : request.seqs()) {
        const ChunkSeq seq{raw};
        if (have_window() && (seq < store_.base() - w || seq >= store_.end() + w)) {
            drop(n.id, Errc::chunk_out_of_window, "Request for a chunk out of our window");
            return;
        }
    }
    n.last_requested = now;
    wire::PeerMessage busy;
    // A DECADE peer uploads no media: its chunks are in its locker (origin mode excepted:
    // the source serves native peers under its budget).
    const bool refuse_all = decade() && !config_.origin;
    for (std::uint64_t raw : request.seqs()) {
        const ChunkSeq seq{raw};
        auto chunk = refuse_all ? nullptr : store_.get(seq);
        if (!chunk) {
            busy.mutable_busy()->add_seqs(raw);
            continue;
        }
        const std::uint64_t bytes = chunk_frame_bytes(*chunk);
        const bool claim = request.due_soon() && upload_.believe_due_soon(n.playhead, seq);
        if (!upload_.admit(seq, bytes, claim, now)) {
            busy.mutable_busy()->add_seqs(raw);
            continue;
        }
        traffic_.upload_media_bytes += bytes;
        ++traffic_.chunks_served;
        actions_.push_back(SendChunk{n.id, std::move(chunk)});
    }
    if (busy.busy().seqs_size() > 0) {
        traffic_.requests_refused += static_cast<std::uint64_t>(busy.busy().seqs_size());
        busy.mutable_busy()->set_retry_after_ms(
            upload_.busy_retry_after_ms(refuse_all, chunk_bytes_estimate_, now));
        send(n.id, std::move(busy));
    }
}

void PeerEngine::on_chunk(Neighbor& n, const wire::Chunk& chunk, TimePoint now) {
    const ChunkSeq seq{chunk.seq()};
    const NeighborId id = n.id;
    if (!n.solicited(seq)) {
        drop(id, Errc::message_unexpected, "unsolicited chunk " + std::to_string(seq.value()));
        return;
    }
    std::optional<TimePoint> asked_at;
    if (auto it = n.in_flight.find(seq); it != n.in_flight.end()) {
        asked_at = it->second;
        n.in_flight.erase(it);
    } else if (auto ab = n.abandoned.find(seq); ab != n.abandoned.end()) {
        asked_at = ab->second;
        n.abandoned.erase(ab);
    }
    if (!verify_chunk(config_.public_key, config_.channel, chunk)) {
        ++traffic_.chunks_rejected;
        table_.ban(n.peer_id, n.endpoint);
        drop(id, Errc::signature_invalid,
             "chunk " + std::to_string(seq.value()) + " failed verification: banned");
        return;
    }
    const std::uint64_t bytes = chunk_frame_bytes(chunk);
    if (asked_at && now > *asked_at) {
        const double sample = static_cast<double>(bytes) / to_seconds(now - *asked_at);
        n.rate_bytes_per_s = (1 - kRateWeight) * n.rate_bytes_per_s + kRateWeight * sample;
    }
    n.late_in_a_row = 0;
    n.last_useful = now;
    chunk_bytes_estimate_ = (chunk_bytes_estimate_ * 7 + bytes) / 8;
    if (store_.has(seq) || !store_.bitmap().in_window(seq)) {
        ++traffic_.chunks_duplicate;
        return;
    }
    store_.insert(std::make_shared<const wire::Chunk>(chunk));
    // Requests for it elsewhere are no longer needed; their answers stay welcome.
    for (auto& [other_id, other] : table_.all()) {
        if (auto it = other.in_flight.find(seq); it != other.in_flight.end()) {
            other.abandoned.insert(*it);
            other.in_flight.erase(it);
        }
    }
    if (!decade()) {
        announce_have(seq, id);  // a DECADE peer advertises only what its locker holds
    }
    advance_playback(now);
    next_tick_ = std::min(next_tick_, now);
}

void PeerEngine::on_busy(Neighbor& n, const wire::Busy& busy, TimePoint now) {
    if (static_cast<std::size_t>(busy.seqs_size()) > config_.max_request_seqs) {
        drop(n.id, Errc::message_malformed, "Busy listing too many seqs");
        return;
    }
    for (std::uint64_t raw : busy.seqs()) {
        n.in_flight.erase(ChunkSeq{raw});
        n.abandoned.erase(ChunkSeq{raw});
    }
    const auto retry = std::min<std::uint32_t>(busy.retry_after_ms(), config_.busy_retry_max_ms);
    n.busy_until = now + std::chrono::milliseconds(retry);
    next_tick_ = std::min(next_tick_, now);
}

// ---------------------------------------------------------------------------------------
// Sending

void PeerEngine::send(NeighborId to, wire::PeerMessage message) {
    const std::uint64_t bytes = frame_bytes(message);
    if (is_media(message)) {
        traffic_.upload_media_bytes += bytes;
    } else {
        traffic_.upload_control_bytes += bytes;
    }
    actions_.push_back(SendMessage{to, std::move(message)});
}

void PeerEngine::perform(std::vector<Action> actions) {
    for (Action& a : actions) {
        actions_.push_back(std::move(a));
    }
}

void PeerEngine::send_hello(NeighborId to) {
    wire::PeerMessage m;
    auto* h = m.mutable_hello();
    h->set_version(kWireVersion);
    h->set_channel(config_.channel);
    h->set_peer_id(config_.peer_id.value());
    h->set_mode(decade() ? wire::decade : wire::native);
    if (decade()) {
        h->set_decade_server(config_.decade.server);
    }
    h->set_listen_endpoint(config_.listen_endpoint);
    h->set_is_source(config_.origin);
    send(to, std::move(m));
}

bool PeerEngine::have_window() const {
    return config_.origin ? live_edge_.value().has_value() : playback_.joined();
}

void PeerEngine::send_buffer_map(NeighborId to, TimePoint now) {
    if (!have_window()) {
        return;
    }
    wire::PeerMessage m;
    auto* bm = m.mutable_buffer_map();
    bm->set_base(store_.base().value());
    bm->set_window(store_.bitmap().window());
    bm->set_bits(store_.bitmap().encode());
    bm->set_live_edge(live_edge_.value() ? live_edge_.value()->value() : 0);
    if (!config_.origin) {
        bm->set_playhead(playback_.playhead().value());
    }
    if (config_.origin) {
        std::size_t pullers = 0;  // native peers: DECADE ones fetch from storage
        for (const auto& [id, n] : table_.all()) {
            pullers += n.established && !n.decade ? 1 : 0;
        }
        bm->set_first_fetch_ppm(first_fetch_ppm(
            first_fetchers_per_chunk(config_.upload_limit_bytes_per_s, published_chunk_bytes_,
                                     config_.chunk_duration, config_.first_fetchers),
            pullers));
    }
    if (decade()) {
        decade_.fill_buffer_map(*bm, store_, now);
    }
    send(to, std::move(m));
}

void PeerEngine::send_buffer_maps(TimePoint now) {
    for (const auto& [id, n] : table_.all()) {
        if (n.established) {
            send_buffer_map(id, now);
        }
    }
}

void PeerEngine::announce_have(ChunkSeq seq, std::optional<NeighborId> except) {
    for (const auto& [id, n] : table_.all()) {
        if (!n.established || (except && id == *except)) {
            continue;
        }
        // Skip neighbours whose map already shows it.
        if (n.map && n.map->test(seq)) {
            continue;
        }
        wire::PeerMessage m;
        m.mutable_have()->add_seqs(seq.value());
        send(id, std::move(m));
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
    const ChunkSeq base = playback_.playhead() - config_.window / 2;
    if (base > store_.base()) {
        store_.slide_to(base);
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
        next_buffer_map_ = now + buffer_map_interval(config_);
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
    for (NeighborId id : late.too_slow) {
        if (const Neighbor* n = table_.find(id)) {
            table_.penalize(n->peer_id, n->endpoint, now + config_.penalty);
        }
        drop(id, Errc::timeout, "too slow (requests late again and again)");
    }
    if (decade()) {
        for (DecadeFetch& f :
             decade_.schedule(table_, store_, playback_, edge, chunk_bytes_estimate_, rng_, now)) {
            actions_.push_back(std::move(f));
        }
    }
    const SchedulerInput input = planner_.input(table_, store_, playback_, live_edge_, late,
                                                chunk_bytes_estimate_, decade_.blocked(now), now);
    if (input.needs.empty()) {
        return;
    }
    const auto assignments = schedule(input);
    if (decade()) {
        for (const Assignment& a : assignments) {
            decade_.count_fallback(a.seq);
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
    if (auto ok = verify_chunk(config_.public_key, config_.channel, chunk); !ok) {
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
    const auto got = decade_.on_fetched(id, result, table_, store_, traffic_, chunk_bytes_estimate_,
                                        drop_holder, now);
    if (!got.known) {
        return;
    }
    for (ChunkSeq seq : got.advertise) {
        announce_have(seq, std::nullopt);
    }
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
    for (ChunkSeq seq : outcome.advertise) {
        announce_have(seq, std::nullopt);
    }
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

std::vector<Action> PeerEngine::take_actions() {
    std::vector<Action> out;
    out.swap(actions_);
    return out;
}

}  // namespace p2pls::peer
