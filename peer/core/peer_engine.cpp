#include "peer/core/peer_engine.hpp"

#include <algorithm>

#include "common/core/chunk_signature.hpp"
#include "common/core/peer_codec.hpp"
#include "peer/core/first_fetch.hpp"
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

}  // namespace

PeerEngine::PeerEngine(EngineConfig config, std::uint64_t seed, TimePoint now)
    : config_(std::move(config)),
      rng_(seed),
      started_at_(now),
      table_(config_.max_neighbors, config_.max_candidates),
      store_(config_.window),
      playback_(config_.chunk_duration, config_.chunks_in(config_.startup_buffer),
                config_.skip_after, now),
      upload_(config_.upload_limit_bytes_per_s, config_.upload_burst_bytes, now),
      peer_hash_(peer_hash(config_.peer_id.value())),
      next_tick_(now),
      next_buffer_map_(now + (config_.decade.enabled ? config_.decade.token_refresh
                                                     : config_.buffer_map_interval)),
      next_maintenance_(now) {
    if (config_.origin && !upload_.unlimited()) {
        spread_.emplace(config_.spread_window);
    }
}

// ---------------------------------------------------------------------------------------
// Membership and connections

void PeerEngine::on_peer_list(const std::vector<PeerCandidate>& peers,
                              std::optional<ChunkSeq> live_edge, TimePoint now) {
    if (stopped_) {
        return;
    }
    last_now_ = now;
    std::vector<PeerCandidate> shuffled;
    for (const PeerCandidate& c : peers) {
        if (c.is_source) {
            if (!config_.origin) {
                source_ = c;
            }
        } else {
            shuffled.push_back(c);
        }
    }
    std::shuffle(shuffled.begin(), shuffled.end(), rng_);
    table_.add_candidates(shuffled, config_.peer_id);
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
        pending_connects_.erase(endpoint);
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
    pending_connects_.erase(endpoint);
    if (source_ && source_->endpoint == endpoint) {
        source_retry_at_ = now + 3 * config_.maintenance_interval;
    }
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

// ---------------------------------------------------------------------------------------
// Messages

void PeerEngine::on_message(NeighborId id, const wire::PeerMessage& message, TimePoint now) {
    Neighbor* n = table_.find(id);
    if (stopped_ || n == nullptr) {
        return;
    }
    last_now_ = now;
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
        table_.remove(id);
        actions_.push_back(Disconnect{
            id, Errc::ok, "neighbour said Bye: " + message.bye().reason().substr(0, 80)});
        next_tick_ = std::min(next_tick_, now);
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
        case wire::PeerMessage::kBye:
            table_.remove(id);
            actions_.push_back(Disconnect{
                id, Errc::ok, "neighbour said Bye: " + message.bye().reason().substr(0, 80)});
            next_tick_ = std::min(next_tick_, now);
            break;
        default:
            drop(id, Errc::message_malformed, "empty message");
            break;
    }
}

void PeerEngine::on_hello(Neighbor& n, const wire::Hello& hello, TimePoint now) {
    const NeighborId id = n.id;
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
    const PeerId peer_id{hello.peer_id().substr(0, 128)};
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
    send_buffer_map(id);
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
        source_first_fetch_ppm_ = std::min(bm.first_fetch_ppm(), kFirstFetchPpmMax);
    }
    if (decade() && bm.has_range_token()) {
        decade_on_range_token(n, bm.range_token());
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
            const auto limit = expected_live_edge(now);
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
    const bool have_window = config_.origin ? live_edge_.has_value() : playback_.joined();
    // A little slack around our window: the requester saw a map up to T_bm old.
    for (std::uint64_t raw : request.seqs()) {
        const ChunkSeq seq{raw};
        if (have_window && (seq < store_.base() - w || seq >= store_.end() + w)) {
            drop(n.id, Errc::chunk_out_of_window, "Request for a chunk out of our window");
            return;
        }
    }
    const NeighborId id = n.id;
    n.last_requested = now;
    wire::PeerMessage busy;
    // A DECADE peer uploads no media: its chunks are in its locker (origin mode excepted:
    // the source serves native peers under its budget).
    const bool refuse_all = decade() && !config_.origin;
    for (std::uint64_t raw : request.seqs()) {
        auto chunk = refuse_all ? nullptr : store_.get(ChunkSeq{raw});
        if (!chunk) {
            busy.mutable_busy()->add_seqs(raw);
            continue;
        }
        const std::uint64_t bytes = chunk_frame_bytes(*chunk);
        if (!upload_.unlimited() && bytes > config_.upload_burst_bytes) {
            // Bigger chunks than the burst would never pass: widen it to two chunks.
            config_.upload_burst_bytes = 2 * bytes;
            upload_.set_rate(config_.upload_limit_bytes_per_s, config_.upload_burst_bytes, now);
        }
        if (!admit_upload(ChunkSeq{raw}, bytes,
                          request.due_soon() && near_playhead(n, ChunkSeq{raw}), now)) {
            busy.mutable_busy()->add_seqs(raw);
            continue;
        }
        traffic_.upload_media_bytes += bytes;
        ++traffic_.chunks_served;
        actions_.push_back(SendChunk{id, std::move(chunk)});
    }
    if (busy.busy().seqs_size() > 0) {
        traffic_.requests_refused += static_cast<std::uint64_t>(busy.busy().seqs_size());
        const auto wait = refuse_all ? std::chrono::milliseconds(config_.busy_retry_max_ms)
                                     : std::chrono::duration_cast<std::chrono::milliseconds>(
                                           upload_.wait_for(chunk_bytes_estimate_, now));
        busy.mutable_busy()->set_retry_after_ms(static_cast<std::uint32_t>(
            std::clamp<std::int64_t>(wait.count(), 50, config_.busy_retry_max_ms)));
        send(id, std::move(busy));
    }
}

bool PeerEngine::near_playhead(const Neighbor& n, ChunkSeq seq) const {
    // A due_soon claim is the requester's word: believe it for chunks within due_soon of
    // the playhead it advertised, plus the chunks it may have played since that map.
    if (!n.playhead) {
        return true;  // no map yet, or a peer that does not say
    }
    const std::uint64_t slack =
        config_.chunks_in(config_.due_soon) + config_.chunks_in(buffer_map_interval()) + 1;
    return seq < *n.playhead + slack;
}

bool PeerEngine::admit_upload(ChunkSeq seq, std::uint64_t bytes, bool due_soon, TimePoint now) {
    if (upload_.unlimited()) {
        return true;
    }
    if (spread_) {
        // The source: least-copied first, unless a stall is near.
        spread_->note_requested(seq, now);
        if (!due_soon && !spread_->least_copied(seq, now)) {
            return false;
        }
    } else if (!due_soon && upload_.available(now) < 2 * bytes) {
        // A peer: the last chunk's worth of budget is for requests marked due soon. In a
        // flash crowd the newcomers' startup requests otherwise take the uplinks of the
        // peers already playing, whose thin buffers then stall (50-peer swarm, ten seeds:
        // 208 freezes without this and the source's spread, 1 with both).
        return false;
    }
    if (!upload_.try_consume(bytes, now)) {
        return false;
    }
    if (spread_) {
        spread_->note_served(seq);
    }
    return true;
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

void PeerEngine::send_buffer_map(NeighborId to) {
    const bool have_window = config_.origin ? live_edge_.has_value() : playback_.joined();
    if (!have_window) {
        return;
    }
    wire::PeerMessage m;
    auto* bm = m.mutable_buffer_map();
    bm->set_base(store_.base().value());
    bm->set_window(store_.bitmap().window());
    bm->set_bits(store_.bitmap().encode());
    bm->set_live_edge(live_edge_ ? live_edge_->value() : 0);
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
        decade_fill_buffer_map(*bm, last_now_);
    }
    send(to, std::move(m));
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

std::optional<ChunkSeq> PeerEngine::expected_live_edge(TimePoint now) const {
    if (!live_anchor_) {
        return live_edge_;
    }
    const auto elapsed = now - live_anchor_->second;
    const auto chunks = elapsed.count() / std::max<std::int64_t>(config_.chunk_duration.count(), 1);
    return live_anchor_->first + static_cast<std::uint64_t>(std::max<std::int64_t>(chunks, 0));
}

void PeerEngine::observe_live_edge(ChunkSeq seq, bool trusted, TimePoint now) {
    if (trusted) {
        if (!live_anchor_ || seq > live_anchor_->first) {
            live_anchor_ = {seq, now};
        }
    } else if (const auto expected = expected_live_edge(now)) {
        // A peer may not drag us past what the source can have produced by now.
        if (seq > *expected + 2) {
            return;
        }
    }
    if (!live_edge_ || seq > *live_edge_) {
        live_edge_ = seq;
    }
    maybe_join();
}

void PeerEngine::maybe_join() {
    if (config_.origin || playback_.joined() || !live_edge_) {
        return;
    }
    const ChunkSeq start = *live_edge_ - config_.chunks_in(config_.startup_lag);
    playback_.join(start);
    store_.slide_to(start - config_.window / 2);
    for (const auto& [id, n] : table_.all()) {
        if (n.established) {
            send_buffer_map(id);
        }
    }
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
    last_now_ = now;
    advance_playback(now);
    if (now >= next_buffer_map_) {
        for (const auto& [id, n] : table_.all()) {
            if (n.established) {
                send_buffer_map(id);
            }
        }
        next_buffer_map_ = now + buffer_map_interval();
    }
    if (now >= next_maintenance_) {
        if (decade()) {
            decade_maintain(now);
        }
        maintain(now);
        next_maintenance_ = now + config_.maintenance_interval;
    }
    if (!config_.origin && now >= next_tick_) {
        run_scheduler(now);
        next_tick_ = now + config_.tick;
    }
}

void PeerEngine::maintain(TimePoint now) {
    std::vector<std::pair<NeighborId, std::string>> to_drop;
    const std::size_t count = table_.size();
    for (auto& [id, n] : table_.all()) {
        if (!n.established && now - n.connected_at > config_.connect_timeout) {
            to_drop.emplace_back(id, "no Hello in time");
        } else if (now - n.last_heard > config_.dead_after) {
            to_drop.emplace_back(id, "silent neighbour (dead)");
        } else if (!config_.origin && !n.is_source && n.established &&
                   count >= config_.target_neighbors &&
                   now - n.last_useful > config_.useless_after &&
                   now - n.last_requested > config_.useless_after) {
            to_drop.emplace_back(id, "useless neighbour (no exchange either way)");
        }
        // Forget abandoned requests that will not come any more.
        std::erase_if(n.abandoned, [&](const auto& e) {
            return e.first < store_.base() || now - e.second > 8 * config_.request_timeout;
        });
    }
    for (const auto& [id, why] : to_drop) {
        if (const Neighbor* n = table_.find(id); n != nullptr && n->established) {
            table_.penalize(n->peer_id, n->endpoint, now + config_.penalty);
        }
        drop(id, Errc::timeout, why);
    }
    std::erase_if(pending_connects_,
                  [&](const auto& e) { return now - e.second > config_.connect_timeout; });
    refill(now);
}

void PeerEngine::refill(TimePoint now) {
    if (stopped_ || config_.origin) {
        return;
    }
    if (source_ && now >= source_retry_at_ && !table_.connected_to_endpoint(source_->endpoint) &&
        !pending_connects_.contains(source_->endpoint) && !table_.full()) {
        pending_connects_.emplace(source_->endpoint, now);
        actions_.push_back(Connect{source_->endpoint, source_->peer_id});
        source_retry_at_ = now + 3 * config_.maintenance_interval;
    }
    std::set<std::string> pending;
    for (const auto& [ep, t] : pending_connects_) {
        pending.insert(ep);
    }
    const auto peers = [&] {
        std::size_t c = pending_connects_.size();
        for (const auto& [id, n] : table_.all()) {
            if (!n.is_source) {
                ++c;
            }
        }
        return c;
    };
    while (peers() < config_.target_neighbors) {
        auto candidate = table_.next_candidate(pending, now);
        if (!candidate) {
            if (now >= next_want_peers_) {
                actions_.push_back(WantPeers{});
                next_want_peers_ = now + config_.want_peers_interval;
            }
            break;
        }
        pending.insert(candidate->endpoint);
        pending_connects_.emplace(candidate->endpoint, now);
        actions_.push_back(Connect{candidate->endpoint, candidate->peer_id});
    }
}

void PeerEngine::run_scheduler(TimePoint now) {
    if (!playback_.joined() || !live_edge_) {
        return;
    }
    // The stream may have begun after our start point: before startup, move up to the
    // oldest chunk the source still has.
    if (!playback_.started()) {
        for (const auto& [id, n] : table_.all()) {
            if (!n.is_source || !n.map || n.map->test(playback_.playhead())) {
                continue;
            }
            for (ChunkSeq s = std::max(playback_.playhead(), n.map->base()); s < n.map->end();
                 ++s) {
                if (n.map->test(s)) {
                    if (s > playback_.playhead()) {
                        playback_.rejoin(s);
                        store_.slide_to(std::max(store_.base(), s - config_.window / 2));
                    }
                    break;
                }
            }
        }
        // Nothing is played yet, so moving on costs nothing: a start point left twice
        // the startup lag behind (its chunks never came, e.g. nobody near us fetched
        // them) is given up for a fresh one.
        const std::uint64_t lag = config_.chunks_in(config_.startup_lag);
        if (*live_edge_ > playback_.playhead() + 2 * lag) {
            const ChunkSeq fresh = *live_edge_ - lag;
            playback_.rejoin(fresh);
            store_.slide_to(std::max(store_.base(), fresh - config_.window / 2));
        }
    }
    // Late requests: free the slot, remember who was asked, ask someone else.
    std::map<ChunkSeq, NeighborId> late;
    std::vector<NeighborId> too_slow;
    for (auto& [id, n] : table_.all()) {
        for (auto it = n.in_flight.begin(); it != n.in_flight.end();) {
            // Late: past the timeout, or past a third of it with the deadline close.
            const Duration age = now - it->second;
            const bool close_call = playback_.due(it->first, now) - now < config_.urgent_window / 3;
            if (age >= config_.request_timeout ||
                (close_call && age >= config_.request_timeout / 3)) {
                late[it->first] = id;
                n.abandoned.insert(*it);
                it = n.in_flight.erase(it);
                // A holder that does not deliver looks slower to the scheduler at once.
                n.rate_bytes_per_s /= 2;
                if (++n.late_in_a_row >= config_.max_late && !n.is_source) {
                    too_slow.push_back(id);
                }
            } else {
                ++it;
            }
        }
    }
    for (NeighborId id : too_slow) {
        if (const Neighbor* n = table_.find(id)) {
            table_.penalize(n->peer_id, n->endpoint, now + config_.penalty);
        }
        drop(id, Errc::timeout, "too slow (requests late again and again)");
    }

    std::set<ChunkSeq> in_flight;
    for (const auto& [id, n] : table_.all()) {
        for (const auto& [seq, t] : n.in_flight) {
            in_flight.insert(seq);
        }
    }
    const std::size_t total_cap = config_.max_requests_in_flight;
    if (decade()) {
        decade_schedule(now);
    }
    SchedulerInput input;
    input.urgent_window = config_.urgent_window;
    input.chunk_bytes = chunk_bytes_estimate_;
    input.max_assignments = in_flight.size() >= total_cap ? 0 : total_cap - in_flight.size();
    const ChunkSeq from = std::max(playback_.playhead(), store_.base());
    const ChunkSeq to = std::min(*live_edge_ + 1, store_.end());
    for (ChunkSeq seq = from; seq < to; ++seq) {
        if (store_.has(seq) || in_flight.contains(seq)) {
            continue;
        }
        ChunkNeed need{seq, playback_.due(seq, now) - now, std::nullopt};
        if (decade()) {
            // Natively only as a fallback: due soon and not coming from storage in time,
            // or storage is failing.
            const bool soon = need.time_left < config_.decade.fallback_margin;
            const bool blocked = decade_blocked(now) && need.time_left < config_.urgent_window;
            if (!(soon || blocked)) {
                continue;
            }
        }
        if (auto l = late.find(seq); l != late.end()) {
            need.late_from = l->second;
        }
        if (!decade() && live_anchor_ && seq <= live_anchor_->first) {
            const TimePoint published =
                live_anchor_->second -
                config_.chunk_duration * static_cast<std::int64_t>(live_anchor_->first - seq);
            need.first_fetch =
                now - published >= first_fetch_delay(peer_hash_, seq, source_first_fetch_ppm_,
                                                     config_.first_fetch_step);
        }
        input.needs.push_back(need);
    }
    for (auto& [id, n] : table_.all()) {
        // DECADE peers serve from their lockers, not natively (the source serves both).
        if (!n.established || !n.map || (n.decade && !n.is_source)) {
            continue;
        }
        const bool useful =
            input.needs.empty() ||
            std::any_of(input.needs.begin(), input.needs.end(),
                        [&](const ChunkNeed& need) { return n.map->test(need.seq); });
        if (useful) {
            n.last_useful = now;
        }
        HolderView h;
        h.id = id;
        h.map = &*n.map;
        h.is_source = n.is_source;
        h.outstanding = &n.abandoned;
        const auto used = static_cast<std::uint32_t>(n.in_flight.size());
        const std::uint32_t cap =
            n.is_source ? config_.max_in_flight_source : config_.max_in_flight;
        h.free_slots = (now < n.busy_until || used >= cap) ? 0 : cap - used;
        h.rate_bytes_per_s = n.rate_bytes_per_s;
        h.queued_bytes = used * chunk_bytes_estimate_;
        input.holders.push_back(h);
        if (n.is_source && !decade()) {
            input.first_fetch_slot = !first_fetch_out_ || !n.in_flight.contains(*first_fetch_out_);
        }
    }
    if (input.needs.empty()) {
        return;
    }
    const auto assignments = schedule(input);
    // One Request per neighbour and due_soon marking.
    std::map<std::pair<NeighborId, bool>, wire::PeerMessage> requests;
    for (const Assignment& a : assignments) {
        Neighbor* n = table_.find(a.to);
        if (decade() && fallback_seqs_.insert(a.seq).second) {
            ++decade_stats_.fallbacks;
        }
        n->in_flight[a.seq] = now;
        n->abandoned.erase(a.seq);
        if (a.first_fetch) {
            first_fetch_out_ = a.seq;
        }
        const bool soon = due_soon(a.seq, now);
        wire::Request* request = requests[{a.to, soon}].mutable_request();
        request->add_seqs(a.seq.value());
        request->set_due_soon(soon);
    }
    for (auto& [key, m] : requests) {
        send(key.first, std::move(m));
    }
}

bool PeerEngine::due_soon(ChunkSeq seq, TimePoint now) const {
    if (playback_.started()) {
        return playback_.due(seq, now) - now < config_.due_soon;
    }
    return now - started_at_ >= config_.startup_patience &&
           seq < playback_.playhead() + config_.chunks_in(config_.startup_buffer);
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
    if (seq >= store_.end() || !live_edge_) {
        store_.slide_to(seq - (config_.window - 1));
    }
    if (spread_) {
        spread_->forget_before(store_.base());
    }
    if (!store_.insert(std::make_shared<const wire::Chunk>(std::move(chunk)))) {
        return {};  // a republish or a chunk older than the window: nothing to do
    }
    if (!live_edge_ || seq > *live_edge_) {
        live_edge_ = seq;
    }
    if (decade()) {
        decade_origin_chunk(seq, now);  // advertised once its object is in our locker
        return {};
    }
    announce_have(seq, std::nullopt);
    return {};
}

// ---------------------------------------------------------------------------------------
// Report

report::QoeReport PeerEngine::report(TimePoint now, bool final) const {
    report::QoeReport r;
    r.set_peer_id(config_.peer_id.value());
    r.set_mode(decade() ? "decade" : "native");
    r.set_elapsed_s(to_seconds(now - started_at_));
    r.set_final(final);
    const PlaybackStats p = playback_.stats(now);
    r.set_startup_delay_s(p.startup_delay ? to_seconds(*p.startup_delay) : -1.0);
    r.set_chunks_due(p.chunks_due);
    r.set_chunks_missed(p.chunks_missed);
    r.set_miss_rate(p.chunks_due == 0
                        ? 0.0
                        : static_cast<double>(p.chunks_missed) / static_cast<double>(p.chunks_due));
    r.set_freezes(p.freezes);
    r.set_stalled_s(to_seconds(p.stalled));
    r.set_upload_media_bytes(traffic_.upload_media_bytes);
    r.set_upload_control_bytes(traffic_.upload_control_bytes);
    r.set_download_media_bytes(traffic_.download_media_bytes);
    r.set_download_control_bytes(traffic_.download_control_bytes);
    r.set_bytes_from_source(traffic_.bytes_from_source);
    r.set_bytes_from_peers(traffic_.bytes_from_peers);
    r.set_bytes_from_decade(decade_stats_.bytes_from_decade);
    r.set_decade_batches(decade_stats_.batches);
    r.set_mean_batch_size(decade_stats_.batches == 0
                              ? 0.0
                              : static_cast<double>(decade_stats_.batched_objects) /
                                    static_cast<double>(decade_stats_.batches));
    r.set_fallbacks(decade_stats_.fallbacks);
    r.set_token_failures(decade_stats_.token_failures);
    r.set_chunks_rejected(traffic_.chunks_rejected);
    r.set_neighbors(static_cast<std::uint32_t>(table_.established()));
    r.set_socket_media_bytes_sent(traffic_.upload_media_bytes);
    return r;
}

std::vector<Action> PeerEngine::take_actions() {
    std::vector<Action> out;
    out.swap(actions_);
    return out;
}

}  // namespace p2pls::peer
