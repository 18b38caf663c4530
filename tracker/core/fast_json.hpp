// Fast paths for the tracker's hot JSON: the announce request and its reply. protobuf's
// JSON mapping (common/core/proto_json.hpp) stays the authority on the format:
//   - parse_announce_fast accepts only a strict subset (a flat object of known fields,
//     plain ASCII strings, plain integers) and returns false for anything else, so that
//     the caller falls back to parse_json and gets protobuf's verdict and message;
//   - announce_reply_json writes exactly what to_json would (tests compare the bytes),
//     and falls back to to_json for strings that would need escaping.
// Why: protobuf's JSON goes through a type resolver and costs ~100 µs per announce; the
// fast paths make the tracker at least as fast as opentracker (bench/).
#pragma once

#include <string>
#include <string_view>

#include "p2pls/tracker.pb.h"
#include "tracker/core/tracker_state.hpp"

namespace p2pls::tracker {

// True when `json` was fully parsed into `out` (cleared first); false means "not on the
// fast path" (not necessarily invalid): use parse_json.
bool parse_announce_fast(std::string_view json, tracker_api::AnnounceRequest& out);

// The same bytes as to_json(reply).
std::string announce_reply_json(const tracker_api::AnnounceResponse& reply);
// The same bytes as to_json of the AnnounceResponse the view stands for, or "" when a
// string would need escaping (then build the message and use to_json).
std::string announce_reply_json(const AnnounceView& view);

}  // namespace p2pls::tracker
