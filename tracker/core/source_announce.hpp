// A source's announce as a signed statement (common/core/announce_signature.hpp): which
// fields of an AnnounceRequest the channel key signs, how the source signs them and how
// the tracker checks them. Shared by both sides so that they cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/core/announce_signature.hpp"
#include "common/core/http_error.hpp"
#include "p2pls/tracker.pb.h"

namespace p2pls::tracker {

// The statement `request` makes about `channel` (views into `request`). A `stopped`
// event is its own kind of statement. Epoch bytes of the wrong size read as all-zero;
// check_source_announce refuses them before anything relies on it.
SourceStatement statement_of(std::string_view channel, const tracker_api::AnnounceRequest& request);

// The source side: stamps `timestamp_ms` (Unix ms) and signs. The request's event,
// endpoint, live_edge and source_epoch must be final.
void sign_source_announce(tracker_api::AnnounceRequest& request, std::string_view channel,
                          const SecretKey& key, std::int64_t timestamp_ms);

// The tracker side, for is_source requests: 401 announce_unsigned (no signature or epoch),
// announce_bad_signature (does not verify under request.public_key()), announce_stale
// (timestamp more than skew_ms from now_ms). The key's format is checked before.
std::optional<HttpError> check_source_announce(std::string_view channel,
                                               const tracker_api::AnnounceRequest& request,
                                               std::int64_t now_ms, std::int64_t skew_ms);

}  // namespace p2pls::tracker
