// Who gets our upload (DESIGN.md §4, "Upload budget"): the token bucket that caps media
// upload, and the rules for the last of it.
//
// - A peer serves requests not marked due_soon only while a chunk's worth of its budget
//   would remain. In a flash crowd the newcomers' startup requests otherwise take the
//   uplinks of the peers already playing, whose thin buffers then stall (50-peer swarm,
//   ten seeds: 208 freezes without this and the source's spread, 1 with both).
// - The source, while its budget is short, serves the least-copied chunk first
//   (peer/core/source_spread.hpp); due_soon requests pass regardless.
// - A due_soon claim is the requester's word: it is believed only for chunks near the
//   playhead the requester advertised, so that marking everything gains nothing.
// - A refused request is answered with Busy and a retry_after paced by when the budget
//   serves a chunk again.
//
// Pure bookkeeping driven by passed-in time; the engine calls it for every requested seq.
#pragma once

#include <cstdint>
#include <optional>

#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "common/core/token_bucket.hpp"
#include "peer/core/engine_config.hpp"
#include "peer/core/source_spread.hpp"

namespace p2pls::peer {

class UploadPolicy {
  public:
    // Reads the budget (upload_limit_bytes_per_s, upload_burst_bytes), origin and
    // spread_window, due_soon, the buffer-map interval and busy_retry_max_ms from `config`.
    UploadPolicy(const EngineConfig& config, TimePoint now);

    // Whether a chunk of `bytes` for `seq` may go out now; consumes the budget when it
    // may. `due_soon`: the request was marked so and the claim is believed. A chunk
    // larger than the burst widens the burst to two such chunks first (or nothing would
    // ever pass).
    [[nodiscard]] bool admit(ChunkSeq seq, std::uint64_t bytes, bool due_soon, TimePoint now);

    // Whether a due_soon claim for `seq` is believed from a requester whose last buffer
    // map showed `playhead`: within due_soon of it, plus the chunks it may have played
    // since that map. A requester that does not say is believed.
    [[nodiscard]] bool believe_due_soon(std::optional<ChunkSeq> playhead, ChunkSeq seq) const;

    // The retry_after (ms) of a Busy: when the budget serves a chunk of
    // `chunk_bytes` again, in [50, busy_retry_max_ms]; `refuse_all` (a DECADE peer, which
    // never uploads media) gets the cap.
    [[nodiscard]] std::uint32_t busy_retry_after_ms(bool refuse_all, std::uint64_t chunk_bytes,
                                                    TimePoint now) const;

    // Forgets what the spread knows of seqs below `base` (out of the window).
    void forget_before(ChunkSeq base);

    [[nodiscard]] bool unlimited() const noexcept { return bucket_.unlimited(); }
    // The source's spread (origin mode with a budget), for observation.
    [[nodiscard]] const SourceSpread* spread() const noexcept {
        return spread_ ? &*spread_ : nullptr;
    }

  private:
    std::uint64_t rate_bytes_per_s_;
    std::uint64_t burst_bytes_;
    std::uint64_t near_playhead_chunks_;
    std::uint32_t busy_retry_max_ms_;
    TokenBucket bucket_;
    std::optional<SourceSpread> spread_;  // origin mode with an upload budget
};

}  // namespace p2pls::peer
