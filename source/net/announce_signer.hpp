// The source's half of self-certifying channels: every announce the tracker client sends
// (and its `stopped`) is stamped with this run's epoch and the wall clock and signed with
// the channel key (tracker/core/source_announce.hpp holds what is signed). An adapter: it
// reads the wall clock, which the core never does.
#pragma once

#include <functional>
#include <string>

#include "common/core/chunk_signature.hpp"
#include "p2pls/tracker.pb.h"

namespace p2pls::source::net {

// Timestamps strictly increase across calls (the tracker refuses an announce that is not
// newer than the last one it accepted), even when the clock steps back or two announces
// fall in one millisecond.
std::function<void(tracker_api::AnnounceRequest&)> make_announce_signer(std::string channel,
                                                                        const KeyPair& keys,
                                                                        const SourceEpoch& epoch);

}  // namespace p2pls::source::net
