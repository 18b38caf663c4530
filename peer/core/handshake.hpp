// The messages a peer builds about itself (Hello, buffer maps, Have, Bye), and the
// judgement of a neighbour's Hello: whom we keep talking to (DESIGN.md §3 "Peer wire",
// §8 "Trust model"). Pure functions of what the engine knows.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/core/time.hpp"
#include "p2pls/peer.pb.h"
#include "peer/core/chunk_store.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/neighbor_table.hpp"

namespace p2pls::peer {

// Our Hello, carrying `nonce` (hello_nonce()) for a source to sign.
[[nodiscard]] wire::PeerMessage make_hello(const EngineConfig& config, std::string nonce);
// Origin mode: the SourceProof answering a neighbour's Hello nonce; nullopt when its
// Hello carried no nonce of the right size (nothing to prove to).
[[nodiscard]] std::optional<wire::PeerMessage> make_source_proof(const EngineConfig& config,
                                                                 std::string_view nonce);
// Whether `proof` from neighbour `n` (which claimed to be the source) was made with the
// channel key, for this run of the source and the nonce we sent `n`.
[[nodiscard]] bool source_proof_holds(const EngineConfig& config, const Neighbor& n,
                                      const wire::SourceProof& proof);
[[nodiscard]] wire::PeerMessage make_bye(const std::string& reason);
[[nodiscard]] wire::PeerMessage make_have(ChunkSeq seq);
// One Have for several seqs (the receiver refuses more than max_request_seqs).
[[nodiscard]] wire::PeerMessage make_have(std::span<const ChunkSeq> seqs);
// Our window as held in `store`, the live edge we believe in (0 = none yet), our
// playhead (not for the origin) and, from the origin, the first-fetch share.
[[nodiscard]] wire::PeerMessage make_buffer_map(const ChunkStore& store, ChunkSeq live_edge,
                                                std::optional<ChunkSeq> playhead,
                                                std::optional<std::uint32_t> first_fetch_ppm);

// Why a connection is closed: the code for the log and the Disconnect, and one line.
struct Refusal {
    Errc code = Errc::ok;
    std::string detail;
};

// What to do with neighbour `n`'s Hello. Refused: a second Hello, another protocol
// version or channel, ourselves, a banned endpoint, a peer penalised lately,
// or the newer of two connections between the same two peers (both ends keep the one
// opened by the smaller peer id, so they agree without a word).
struct HelloVerdict {
    std::optional<Refusal> refusal;      // close this connection
    std::optional<NeighborId> replaces;  // close this older connection to the same peer first
    PeerId peer_id;                      // as the Hello says (bounded)
    std::string endpoint;                // where it listens: the one we dialled, or its Hello's
};
[[nodiscard]] HelloVerdict judge_hello(const wire::Hello& hello, const Neighbor& n,
                                       const NeighborTable& table, const EngineConfig& config,
                                       TimePoint now);

}  // namespace p2pls::peer
