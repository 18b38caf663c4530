// First fetchers: who takes a new chunk from the source before anyone needs it urgently.
//
// A pull swarm asks the source only for chunks no neighbour holds. Left at that, a new
// chunk sits at the source until it turns urgent for everyone at about the same moment
// (peers join at the same lag behind live), and then the whole swarm asks the source at
// once: it can serve a few, the rest stall. Instead, a few peers pull each new chunk from
// the source as soon as it appears, and the swarm spreads it with the whole startup lag
// to spare.
//
// The source knows its upload budget and its neighbour count, so it names the share of
// its neighbours that should do so (BufferMap.first_fetch_ppm). Each peer then draws a
// per-chunk tier from a hash of its id and the seq: tier 0 (about `first_fetchers`
// peers) may ask the source at once, tier 1 one step later, and so on; a peer that sees a
// neighbour holding the chunk asks that neighbour instead, so later tiers rarely reach
// the source. The spread is deterministic (no shared state, no extra messages) and
// different for every chunk, so the work rotates through the swarm.
//
// A first fetch is its own class of request (scheduler.hpp): one at a time, outside the
// caps and the source's Busy back-off that urgent requests fill when the swarm is behind
// — which is exactly when new chunks must still get in early, or the swarm stays behind.
// A chunk no neighbour holds qualifies at any age once the peer's tier comes up, so a
// newcomer's old chunks reach the source this way too. Measured over ten seeds
// (bench/swarm_seeds.sh, 50-peer flash crowd): 0.82 % of chunks missed without first
// fetchers, 0.14 % with; with first fetches limited to the two newest chunks, 0.61 %.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/core/ids.hpp"
#include "common/core/time.hpp"

namespace p2pls::peer {

inline constexpr std::uint32_t kFirstFetchPpmMax = 1'000'000;

// The source's side. How many peers should fetch each new chunk at once: `configured`,
// or if 0 half of what the upload budget serves per chunk (the other half stays for
// urgent requests), at least one; 4 with no budget.
[[nodiscard]] std::uint32_t first_fetchers_per_chunk(std::uint64_t upload_limit_bytes_per_s,
                                                     std::uint64_t chunk_bytes,
                                                     Duration chunk_duration,
                                                     std::uint32_t configured);
// ... as parts per million of its `neighbours`.
[[nodiscard]] std::uint32_t first_fetch_ppm(std::uint32_t first_fetchers, std::size_t neighbours);

// A stable 64-bit hash of a peer id (FNV-1a): the seed of that peer's tiers.
[[nodiscard]] std::uint64_t peer_hash(std::string_view peer_id) noexcept;

// The peer's side: how long after `seq` was published this peer may ask the source for
// it while no neighbour holds it (tier x step). With ppm 0, never before it is urgent.
[[nodiscard]] Duration first_fetch_delay(std::uint64_t peer_hash, ChunkSeq seq, std::uint32_t ppm,
                                         Duration step) noexcept;

}  // namespace p2pls::peer
