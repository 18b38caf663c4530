// The engine routes: each message goes to the room that decides (membership, upload
// policy, live edge, request planner, DECADE fetcher), and what they decide goes out as
// actions, in the order it was decided. Events that are not messages (connections, time,
// publishing, DECADE answers) are in peer_engine_events.cpp.
#include "peer/core/peer_engine.hpp"

#include <algorithm>

#include "common/core/chunk_signature.hpp"
#include "common/core/peer_codec.hpp"
#include "peer/core/first_fetch.hpp"
#include "peer/core/handshake.hpp"

namespace p2pls::peer {

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
      next_buffer_map_(now + config_.full_map_interval()),
      next_maintenance_(now) {
    if (config_.trace && !config_.origin) {
        trace_.emplace(config_.peer_id.value(), now);
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
        case wire::PeerMessage::kSourceProof:
            on_source_proof(*n, message.source_proof());
            break;
        default:
            drop(id, Errc::message_malformed, "empty message");
            break;
    }
}

void PeerEngine::on_chunk_message(NeighborId id, std::shared_ptr<const wire::Chunk> chunk,
                                  TimePoint now) {
    Neighbor* n = table_.find(id);
    if (stopped_ || n == nullptr || !chunk) {
        return;
    }
    n->last_heard = now;
    const std::uint64_t bytes = chunk_frame_bytes(*chunk);
    traffic_.download_media_bytes += bytes;
    (n->is_source ? traffic_.bytes_from_source : traffic_.bytes_from_peers) += bytes;
    if (!n->established) {
        drop(id, Errc::message_unexpected, "message before Hello");
        return;
    }
    const wire::Chunk& c = *chunk;
    on_chunk(*n, c, now, std::move(chunk));
}

void PeerEngine::on_hello(Neighbor& n, const wire::Hello& hello, TimePoint now) {
    const NeighborId id = n.id;
    HelloVerdict v = judge_hello(hello, n, table_, config_, now);
    if (v.replaces) {
        drop(*v.replaces, Errc::message_unexpected, "duplicate connection to the same peer");
    }
    if (v.refusal) {
        drop(id, v.refusal->code, v.refusal->detail);
        return;
    }
    n.established = true;
    n.peer_id = std::move(v.peer_id);
    // Anyone can say is_source. A claim counts only on a connection we dialed, to the
    // endpoint the source's signed statement names when the tracker relayed one (so a
    // relay in between cannot pass the source's proof on as its own), and it is believed
    // once the SourceProof over our nonce verifies (on_source_proof).
    const auto& source = membership_.source();
    n.claims_source =
        hello.is_source() && n.outbound && (!source || n.endpoint == source->endpoint);
    n.is_source = false;
    n.decade = hello.mode() == wire::decade;
    n.decade_server = n.decade ? hello.decade_server().substr(0, 256) : std::string();
    n.endpoint = std::move(v.endpoint);
    n.last_useful = now;
    if (config_.origin) {
        if (auto proof = make_source_proof(config_, hello.nonce())) {
            send(id, std::move(*proof));
        }
    }
    send_buffer_map(id, now);
}

void PeerEngine::on_source_proof(Neighbor& n, const wire::SourceProof& proof) {
    if (!n.claims_source || n.is_source) {
        return;  // nothing claimed (a proof for another reason is no evidence), or done
    }
    if (!source_proof_holds(config_, n, proof)) {
        // It claimed to be the source at the source's address and cannot prove the key for
        // this run. No ban: a source restarted with a new epoch fails too until we resync.
        drop(n.id, Errc::signature_invalid, "source proof does not verify");
        return;
    }
    n.is_source = true;
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
    // Before startup every tick of waiting is startup delay: a new holder (or token) is
    // asked at once, not at the next scheduler tick.
    if (playback_.joined() && !playback_.started()) {
        next_tick_ = std::min(next_tick_, now);
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
    // One seq asked twice would be served (and charged to our budget) twice.
    std::vector<std::uint64_t> seqs(request.seqs().begin(), request.seqs().end());
    std::sort(seqs.begin(), seqs.end());
    if (std::adjacent_find(seqs.begin(), seqs.end()) != seqs.end()) {
        drop(n.id, Errc::message_malformed, "Request lists one seq twice");
        return;
    }
    // A little slack around our window: the requester saw a map up to T_bm old.
    for (std::uint64_t raw : request.seqs()) {
        if (have_window() &&
            (ChunkSeq{raw} < store_.base() - w || ChunkSeq{raw} >= store_.end() + w)) {
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
        const std::uint64_t bytes = chunk ? chunk_frame_bytes(*chunk) : 0;
        if (!chunk ||
            !upload_.admit(seq, bytes,
                           request.due_soon() && upload_.believe_due_soon(n.playhead, seq), now)) {
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

void PeerEngine::on_chunk(Neighbor& n, const wire::Chunk& chunk, TimePoint now,
                          std::shared_ptr<const wire::Chunk> shared) {
    const ChunkSeq seq{chunk.seq()};
    const NeighborId id = n.id;
    if (!n.solicited(seq)) {
        drop(id, Errc::message_unexpected, "unsolicited chunk " + std::to_string(seq.value()));
        return;
    }
    const std::optional<TimePoint> asked_at = n.take_request(seq);
    if (!verify_chunk(config_.verified_chunks.get(), config_.public_key, config_.channel, chunk,
                      config_.epoch)) {
        ++traffic_.chunks_rejected;
        table_.ban_connection(n);
        drop(id, Errc::signature_invalid,
             "chunk " + std::to_string(seq.value()) + " failed verification: banned");
        return;
    }
    const std::uint64_t bytes = chunk_frame_bytes(chunk);
    n.note_delivery(bytes, asked_at, now);
    if (trace_) {
        trace_->note(seq, now, "got", n.peer_id.value());
    }
    chunk_bytes_estimate_ = (chunk_bytes_estimate_ * 7 + bytes) / 8;
    if (store_.has(seq) || !store_.bitmap().in_window(seq)) {
        ++traffic_.chunks_duplicate;
        return;
    }
    store_.insert(shared ? std::move(shared) : std::make_shared<const wire::Chunk>(chunk));
    table_.abandon_requests(seq);
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
    const auto retry = std::min<std::uint32_t>(busy.retry_after_ms(), config_.busy_retry_max_ms);
    n.note_busy(busy.seqs(), std::chrono::milliseconds(retry), now);
    if (trace_) {
        for (const std::uint64_t seq : busy.seqs()) {
            trace_->note(ChunkSeq{seq}, now, "busy", n.peer_id.value(), 0,
                         "retry after " + std::to_string(retry) + " ms");
        }
    }
    next_tick_ = std::min(next_tick_, now);
}

// ---------------------------------------------------------------------------------------
// Sending

void PeerEngine::drop(NeighborId id, Errc reason, const std::string& detail) {
    if (table_.find(id) == nullptr) {
        return;
    }
    send(id, make_bye(detail));
    table_.remove(id);
    ++traffic_.neighbors_dropped;
    actions_.push_back(Disconnect{id, reason, detail});
}

void PeerEngine::send(NeighborId to, wire::PeerMessage message) {
    const std::uint64_t bytes = frame_bytes(message);
    (is_media(message) ? traffic_.upload_media_bytes : traffic_.upload_control_bytes) += bytes;
    actions_.push_back(SendMessage{to, std::move(message)});
}

bool PeerEngine::have_window() const {
    return config_.origin ? live_edge_.value().has_value() : playback_.joined();
}

void PeerEngine::send_buffer_map(NeighborId to, TimePoint now) {
    if (!have_window()) {
        return;
    }
    std::optional<std::uint32_t> ppm;
    if (config_.origin) {
        std::size_t pullers = 0;  // native peers: DECADE ones fetch from storage
        for (const auto& [id, n] : table_.all()) {
            pullers += n.established && !n.decade ? 1 : 0;
        }
        ppm = first_fetch_ppm(
            first_fetchers_per_chunk(config_.upload_limit_bytes_per_s, published_chunk_bytes_,
                                     config_.chunk_duration, config_.first_fetchers),
            pullers);
    }
    wire::PeerMessage m = make_buffer_map(
        store_, live_edge_.value().value_or(ChunkSeq{0}),
        config_.origin ? std::nullopt : std::optional<ChunkSeq>(playback_.playhead()), ppm);
    if (decade()) {
        if (Neighbor* n = table_.find(to)) {
            decade_.fill_buffer_map(*m.mutable_buffer_map(), store_, now, n->our_token_sent);
        }
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

void PeerEngine::announce_have(std::span<const ChunkSeq> seqs, std::optional<NeighborId> except) {
    const std::size_t per_message = std::max<std::size_t>(config_.max_request_seqs, 1);
    std::vector<ChunkSeq> news;
    for (const auto& [id, n] : table_.all()) {
        if (!n.established || (except && id == *except)) {
            continue;
        }
        news.clear();
        for (ChunkSeq seq : seqs) {
            if (!(n.map && n.map->test(seq))) {  // not what its map already shows
                news.push_back(seq);
            }
        }
        for (std::size_t i = 0; i < news.size(); i += per_message) {
            const std::size_t count = std::min(per_message, news.size() - i);
            send(id, make_have(std::span<const ChunkSeq>(news).subspan(i, count)));
        }
    }
}

}  // namespace p2pls::peer
