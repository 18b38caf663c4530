// Whose locker a DECADE peer fetches each missing object from (DESIGN.md §4, "DECADE
// mode"): pure functions, so that a test can state a whole tick in a few strings.
//
// A holder is a DECADE neighbour whose buffer map shows the chunk and whose range token
// covers its object for more than a second yet. One on our own server comes first: the
// server links the object into our locker instead of copying it. A holder on another
// server costs a server-to-server copy on that server's uplink, which also serves its
// own peers, so only about one peer in cross_server_share (by a hash of peer and object:
// no coordination) copies a new object at once; the others wait for a holder on their
// own server until the chunk is due within fallback_margin + a per-peer, per-object
// share of cross_server_spread. While calm (a copy across servers was slow lately) only
// that early share copies across. Among equals, the least loaded; among those, `pick`.
// Across servers the source comes first, however loaded: when the peers of one server all
// copy from the same locker with the same token, their server fetches the object once for
// all of them (decade-server/core/remote_copies.cpp), and spreading a batch over several
// holders of one remote server spreads nothing (they share its uplink).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "common/core/chunk_bitmap.hpp"
#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "peer/core/engine_config.hpp"

namespace p2pls::peer {

struct DecadeHolderView {
    NeighborId id;
    const ChunkBitmap* map = nullptr;  // its advertised window: what its locker holds
    std::uint64_t token_first = 0;     // object seqs its range token covers
    std::uint64_t token_last = 0;
    bool token_fresh = false;  // the token does not expire within the next second
    bool same_server = false;  // its locker is on our home server
    bool is_origin = false;    // the source (proven): every peer of a server asks it alike
    std::size_t load = 0;      // objects we have asked of it and not yet got
};

struct DecadeNeed {
    ChunkSeq seq;                 // a missing chunk, not asked natively
    ChunkSeq object;              // the first seq of its object
    bool copy_across_ok = false;  // may_copy_across() for it
    // Due later than DecadeConfig::fetch_ahead: asked now only to copy it into our server,
    // never when a holder on our server has it (it is linked once within the horizon).
    bool beyond_horizon = false;
};

struct DecadeChoice {
    ChunkSeq object;
    ChunkSeq seq;  // the need that chose it (its deadline is the object's)
    NeighborId holder;
    friend bool operator==(const DecadeChoice&, const DecadeChoice&) = default;
};

struct DecadeChoices {
    std::vector<DecadeChoice> choices;  // one per object, in need order
    std::set<NeighborId> useful;        // holders that held something we need
};

// Whether this peer may copy `object` from another server now. `peer_key`: a hash of
// our peer id; `time_left`: until the chunk's playback deadline; `calm`: a copy across
// servers was slow lately (DecadeConfig::cross_server_calm).
[[nodiscard]] bool may_copy_across(std::uint64_t peer_key, ChunkSeq object, Duration time_left,
                                   bool calm, const DecadeConfig& config);

// One holder per object, for needs in order (later needs of an object just chosen are
// skipped); each choice adds one to its holder's load for the needs after it. `pick(n)`
// returns an index in [0, n) among equally good holders.
[[nodiscard]] DecadeChoices choose_decade_holders(
    const std::vector<DecadeNeed>& needs, std::vector<DecadeHolderView> holders,
    const std::function<std::size_t(std::size_t)>& pick);

}  // namespace p2pls::peer
