// Where protobuf's own log lines go. It logs to stderr at ERROR for every string field that
// is not UTF-8, in every message it parses: bytes any neighbour or client chooses. Left
// alone, a peer sending such frames would fill its neighbours' logs (two lines per field).
// The parse fails and the caller handles it; the line itself goes to spdlog at debug level.
#pragma once

namespace p2pls::net {

// Call once at the start of main(), before any message is parsed.
void route_protobuf_log_to_debug();

}  // namespace p2pls::net
