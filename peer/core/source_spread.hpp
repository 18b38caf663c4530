// The source's share of its upload when it cannot serve every request: the least-copied
// chunk that someone is asking for goes first (the idea of BitTorrent's super-seeding).
//
// In a flash crowd every newcomer asks the source for the chunks its few neighbours lack,
// and a token bucket answers whoever asks when a token comes back. Traced in the
// simulator (50 peers, seed 42), the source sent one old chunk six times in two seconds
// while a chunk published meanwhile waited 3.7 s for its first copy, and the early
// joiners froze on it. The swarm can copy a chunk the source sent once; it cannot copy a
// chunk the source has not sent. So while the budget is short, a request is served only if
// no chunk asked for in the last moment has had fewer copies from the source.
//
// Pure bookkeeping, no clock of its own: the engine calls it on every request.
#pragma once

#include <cstdint>
#include <map>

#include "common/core/ids.hpp"
#include "common/core/time.hpp"

namespace p2pls::peer {

class SourceSpread {
  public:
    // A seq asked for within `demand_window` counts as wanted now.
    explicit SourceSpread(Duration demand_window) : demand_window_(demand_window) {}

    // Every seq a neighbour asks for that we hold, served or not.
    void note_requested(ChunkSeq seq, TimePoint now);
    // A copy of `seq` went out.
    void note_served(ChunkSeq seq);

    // True when no seq wanted now has had fewer copies than `seq`.
    [[nodiscard]] bool least_copied(ChunkSeq seq, TimePoint now) const;

    // Copies of `seq` sent so far (0 for a seq never served or forgotten).
    [[nodiscard]] std::uint32_t copies(ChunkSeq seq) const;

    // Drops seqs below `base` (out of the window): the table stays window-sized.
    void forget_before(ChunkSeq base);

  private:
    struct Entry {
        std::uint32_t copies = 0;
        TimePoint last_requested{};
        bool requested = false;
    };
    Duration demand_window_;
    std::map<ChunkSeq, Entry> chunks_;
};

}  // namespace p2pls::peer
