#include "peer/core/handshake.hpp"

#include "common/core/peer_codec.hpp"

namespace p2pls::peer {

wire::PeerMessage make_hello(const EngineConfig& config, std::string nonce) {
    wire::PeerMessage m;
    auto* h = m.mutable_hello();
    h->set_version(kWireVersion);
    h->set_channel(config.channel);
    h->set_peer_id(config.peer_id.value());
    h->set_mode(config.decade.enabled ? wire::decade : wire::native);
    if (config.decade.enabled) {
        h->set_decade_server(config.decade.server);
    }
    h->set_listen_endpoint(config.listen_endpoint);
    h->set_is_source(config.origin);
    h->set_nonce(std::move(nonce));
    return m;
}

std::optional<wire::PeerMessage> make_source_proof(const EngineConfig& config,
                                                   std::string_view nonce) {
    if (nonce.size() != kHelloNonceBytes) {
        return std::nullopt;
    }
    SourceStatement statement;
    statement.kind = SourceStatementKind::hello_proof;
    statement.channel = config.channel;
    statement.peer_id = config.peer_id.value();
    statement.epoch = config.epoch;
    statement.nonce = nonce;
    const Signature sig = sign_source_statement(config.source_key, statement);
    wire::PeerMessage m;
    m.mutable_source_proof()->set_signature(reinterpret_cast<const char*>(sig.data()), sig.size());
    return m;
}

bool source_proof_holds(const EngineConfig& config, const Neighbor& n,
                        const wire::SourceProof& proof) {
    SourceStatement statement;
    statement.kind = SourceStatementKind::hello_proof;
    statement.channel = config.channel;
    statement.peer_id = n.peer_id.value();
    statement.epoch = config.epoch;
    statement.nonce = n.hello_nonce;
    return n.hello_nonce.size() == kHelloNonceBytes &&
           verify_source_statement(config.public_key, statement, proof.signature()).has_value();
}

wire::PeerMessage make_bye(const std::string& reason) {
    wire::PeerMessage m;
    m.mutable_bye()->set_reason(reason);
    return m;
}

wire::PeerMessage make_have(ChunkSeq seq) {
    return make_have(std::span<const ChunkSeq>(&seq, 1));
}

wire::PeerMessage make_have(std::span<const ChunkSeq> seqs) {
    wire::PeerMessage m;
    for (ChunkSeq seq : seqs) {
        m.mutable_have()->add_seqs(seq.value());
    }
    return m;
}

wire::PeerMessage make_buffer_map(const ChunkStore& store, ChunkSeq live_edge,
                                  std::optional<ChunkSeq> playhead,
                                  std::optional<std::uint32_t> first_fetch_ppm) {
    wire::PeerMessage m;
    auto* bm = m.mutable_buffer_map();
    bm->set_base(store.base().value());
    bm->set_window(store.bitmap().window());
    bm->set_bits(store.bitmap().encode());
    bm->set_live_edge(live_edge.value());
    if (playhead) {
        bm->set_playhead(playhead->value());
    }
    if (first_fetch_ppm) {
        bm->set_first_fetch_ppm(*first_fetch_ppm);
    }
    return m;
}

HelloVerdict judge_hello(const wire::Hello& hello, const Neighbor& n, const NeighborTable& table,
                         const EngineConfig& config, TimePoint now) {
    HelloVerdict v;
    v.peer_id = PeerId{hello.peer_id().substr(0, 128)};
    v.endpoint = n.endpoint.empty() ? hello.listen_endpoint().substr(0, 256) : n.endpoint;
    const auto refuse = [&](Errc code, std::string detail) {
        v.refusal = Refusal{code, std::move(detail)};
        return v;
    };
    if (n.established) {
        return refuse(Errc::message_unexpected, "second Hello");
    }
    if (hello.version() != kWireVersion) {
        return refuse(Errc::version_mismatch,
                      "Hello for protocol version " + std::to_string(hello.version()));
    }
    if (hello.channel() != config.channel) {
        return refuse(Errc::channel_mismatch, "Hello for another channel");
    }
    if (v.peer_id == config.peer_id) {
        return refuse(Errc::message_unexpected, "connected to itself");
    }
    if (const Neighbor* other = table.find_peer(v.peer_id)) {
        const PeerId& opener_new = n.outbound ? config.peer_id : v.peer_id;
        const PeerId& opener_old = other->outbound ? config.peer_id : v.peer_id;
        if (opener_new == opener_old || opener_old < opener_new) {
            return refuse(Errc::message_unexpected, "duplicate connection to the same peer");
        }
        v.replaces = other->id;
    }
    if (table.penalized(v.peer_id, v.endpoint, now)) {
        return refuse(Errc::busy, "recently dropped as too slow or useless");
    }
    if (table.banned_endpoint(v.endpoint)) {
        return refuse(Errc::signature_invalid, "banned endpoint (sent a bad chunk before)");
    }
    return v;
}

}  // namespace p2pls::peer
