// Tracker settings. Every field has the unit in its name or comment; the defaults run a
// tracker for one machine with no configuration (DESIGN.md §3, "Tracker").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "common/core/chunk_signature.hpp"
#include "tracker/core/server_credentials.hpp"

namespace p2pls::tracker {

struct TrackerConfig {
    // Announce interval told to every member (seconds, 1..3600).
    std::chrono::seconds interval{5};
    // A member (or source) not heard for this many intervals is dropped.
    std::uint32_t expiry_intervals = 3;
    // Peers per reply when the asker leaves num_want at 0, and the cap on num_want.
    std::uint32_t default_peers = 20;
    std::uint32_t max_peers = 50;
    // Resource caps: a tracker under abuse refuses (503) rather than growing without bound.
    std::size_t max_channels = 10'000;
    std::size_t max_members_per_channel = 100'000;
    std::size_t max_members = 1'000'000;  // all channels together (≈ 300 MB at most)
    std::size_t max_decade_servers = 1'000;
    // A DECADE server that registered over the API and has not re-registered for this
    // long is forgotten (decade-server re-registers every 30 s). Servers from the config
    // file stay.
    std::chrono::seconds decade_server_ttl{90};
    // Largest request body accepted by the API (bytes).
    std::size_t max_body_bytes = 16 * 1024;
    // Signed statements (source announces, DECADE server registrations) must carry a
    // timestamp within this of the tracker's wall clock, either way (milliseconds).
    std::int64_t max_clock_skew_ms = 30'000;
    // Channels bound to a key (first claim; kept across restarts in the state file).
    std::size_t max_bound_channels = 100'000;
    // Operator pins: channel -> the only key that may be its source.
    std::map<std::string, PublicKey> pinned_keys{};
    // Who may register DECADE servers over the API (none: nobody).
    ServerCredentials server_credentials{};
};

}  // namespace p2pls::tracker
