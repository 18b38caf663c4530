// Every knob of the peer engine, with its unit. Defaults follow DESIGN.md §4.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/core/announce_signature.hpp"
#include "common/core/chunk_signature.hpp"
#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "common/core/verified_chunks.hpp"

namespace p2pls::peer {

using namespace std::chrono_literals;

// DECADE mode (DESIGN.md §4 "DECADE mode"; draft §4). Off by default.
struct DecadeConfig {
    bool enabled = false;
    std::string server;  // home server base URL (the tracker's nearest, or configured)
    std::string locker;  // our locker on it
    std::array<unsigned char, 32> secret{};  // the locker's secret (mints our tokens)
    std::string name_prefix;                 // object names: prefix + first seq ("" = channel-)
    std::uint32_t object_chunks = 1;         // k: consecutive chunks per stored object
    std::uint32_t slots = 4;                 // m: concurrent requests to the home server
    std::size_t max_ops_per_batch = 16;      // objects per batch request
    // Expiry of our range tokens. A token is re-minted at half its lifetime and goes to
    // each neighbour once (in its next buffer map): the token is most of a map's bytes,
    // and a map carrying it every token_refresh made range tokens about two thirds of a
    // DECADE peer's peer-wire signalling. The cost: a neighbour we dropped can fetch
    // from our locker until its token expires.
    Duration token_lifetime = 30s;
    // Full buffer map every this; Have between. At 6 s the k = 4 simulated swarm
    // (decade_swarm_sim_test.cpp) missed 1.1 % on seed 42 instead of 0.3 %.
    Duration token_refresh = 4s;
    Duration fetch_timeout = 8s;    // a request with no answer after this has failed
    Duration fallback_margin = 2s;  // a chunk due within this is fetched natively if missing
    // A playing peer asks for objects due within this only. Newcomers join startup_lag (8 s)
    // behind live; asking the whole lag at once when playback starts put every newcomer's
    // backlog of a flash crowd on its server's egress in the same seconds. It must leave
    // room for fallback_margin + cross_server_spread (the wait for a holder on our server).
    Duration fetch_ahead = 7s;
    Duration down_backoff = 3s;  // after a failed request, wait this before the next
    // Holders on another server (a server-to-server copy): about one peer in
    // cross_server_share copies a new object at once; the others wait for a holder on
    // their own server (whose Remote Get links, not copies) until the chunk is due within
    // fallback_margin + a per-peer, per-object share of cross_server_spread.
    std::uint32_t cross_server_share = 6;
    Duration cross_server_spread = 1500ms;
    // A copy from another server that took longer than fallback_margin, or a request
    // that timed out, says a server's uplink is congested: for this long only the early
    // share copies across servers. Without it, k = 4 swarms collapsed (decade_fetcher.cpp).
    Duration cross_server_calm = 10s;
    std::uint32_t object_ttl_s = 120;  // TTL of what lands in our locker
    // Unix seconds at TimePoint{} (tokens carry wall-clock expiry; the core reads no clock):
    // unix_now = unix_offset_s + seconds(now.time_since_epoch()).
    std::int64_t unix_offset_s = 0;
};

struct EngineConfig {
    // --- identity ---
    std::string channel = "default";
    PeerId peer_id;
    std::string listen_endpoint;  // sent in Hello so that inbound neighbours can be deduplicated
    PublicKey public_key{};       // the channel's Ed25519 key: every chunk is checked against it
    SourceEpoch epoch{};          // the source run chunks must be signed for (others are refused)
    // Engines that share one process and one channel (the simulator's swarm) may share a
    // memo of chunks that verified: each chunk's signature is then checked once, not once
    // per engine. Null (each chunk checked for real) in a peer process.
    std::shared_ptr<VerifiedChunks> verified_chunks;
    // Origin mode: this engine is the channel's source. Chunks come from
    // publish_local_chunk(); it serves and advertises, never fetches or plays.
    bool origin = false;
    // Origin mode: the channel's secret key, to answer each Hello's nonce with a
    // SourceProof (the source proves the key on every connection).
    SecretKey source_key{};
    // Keys our Hello nonces (common/core/announce_signature.hpp): 32 random bytes from
    // the adapter, so a neighbour cannot predict the nonce a source must sign for us.
    NonceKey nonce_key{};

    // --- stream ---
    Duration chunk_duration = 1s;  // playing time of one chunk
    std::uint32_t window = 64;     // W: chunks in the sliding window (buffer map bits)

    // --- membership ---
    std::size_t target_neighbors = 8;   // M: open outbound connections while below this
    std::size_t max_neighbors = 16;     // accept inbound connections up to this
    std::size_t max_candidates = 256;   // tracker-listed peers remembered
    Duration connect_timeout = 5s;      // a Connect with no outcome is forgotten after this
    Duration want_peers_interval = 3s;  // at most one WantPeers action per interval
    Duration dead_after = 10s;          // a neighbour silent for this long is dropped
    Duration useless_after = 20s;       // ... one that had nothing we lacked for this long
    std::uint32_t max_late = 3;         // ... one whose requests were late this many times in a row
    Duration maintenance_interval = 1s;
    Duration penalty = 60s;  // a neighbour dropped as slow or useless is kept away this long

    // --- buffer maps ---
    Duration buffer_map_interval = 500ms;  // T_bm: full map every interval, Have deltas between

    // --- scheduling ---
    Duration tick = 100ms;                   // scheduler cadence
    std::uint32_t max_in_flight = 4;         // requests outstanding per neighbour
    std::size_t max_requests_in_flight = 4;  // ... to all neighbours together
    std::uint32_t max_in_flight_source = 3;  // ... to the source (its upload is shared by all)
    Duration request_timeout = 3s;      // a request older than this is late: ask another holder
    Duration urgent_window = 6s;        // chunks due within this are urgent (may go to the source)
    std::size_t max_request_seqs = 64;  // a Request / Have / Busy listing more seqs is bad input
    // First fetchers (peer/core/first_fetch.hpp). Origin mode: peers asked to pull each
    // new chunk at once (0 = half the upload budget's copies per chunk). Peers: a tier's
    // wait before it may ask the source for a new chunk no neighbour holds.
    std::uint32_t first_fetchers = 0;
    Duration first_fetch_step = 500ms;
    std::uint32_t busy_retry_max_ms = 5000;  // cap on a neighbour's retry_after
    // Requests marked due_soon (wire Request.due_soon): a playing peer's for chunks due
    // within `due_soon`, and a peer not started after `startup_patience` its startup
    // chunks'. A holder serves other requests only while a chunk's worth of budget would
    // remain for these; the source serves them outside its spread (source_spread.hpp),
    // whose demand window is `spread_window`.
    Duration due_soon = 2s;
    Duration startup_patience = 5s;
    Duration spread_window = 500ms;

    // --- playback ---
    Duration startup_lag = 8s;     // join at live_edge - startup_lag
    Duration startup_buffer = 2s;  // start once this much is contiguous from the playhead
    Duration skip_after = 1s;      // wait this long at a missing chunk, then skip it (a miss)

    // --- upload budget (media bytes only; 0 = unlimited) ---
    std::uint64_t upload_limit_bytes_per_s = 0;
    std::uint64_t upload_burst_bytes = 128 * 1024;  // at least one chunk, or nothing passes

    // --- DECADE mode ---
    DecadeConfig decade;

    // Keep per-chunk traces (peer/core/chunk_trace.hpp) for PeerEngine::take_traces.
    bool trace = false;

    // How often full buffer maps go out: a DECADE peer's carry a fresh token (Have deltas
    // in between), a native peer's every buffer_map_interval.
    [[nodiscard]] Duration full_map_interval() const {
        return decade.enabled ? decade.token_refresh : buffer_map_interval;
    }

    // Chunks per Duration, rounded up; for converting the durations above into seqs.
    [[nodiscard]] std::uint64_t chunks_in(Duration d) const {
        const auto c = chunk_duration.count() > 0 ? chunk_duration.count() : 1;
        return static_cast<std::uint64_t>((d.count() + c - 1) / c);
    }
};

}  // namespace p2pls::peer
