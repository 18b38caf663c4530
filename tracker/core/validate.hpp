// Checks of every field a client can send to the tracker. Each returns nullopt when the
// value is acceptable, or the 400 error that names the field and the problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/host_port.hpp"
#include "common/core/http_error.hpp"

namespace p2pls::tracker {

// Longest accepted values (bytes).
inline constexpr std::size_t kMaxChannelName = 64;
inline constexpr std::size_t kMaxPeerId = 128;
inline constexpr std::size_t kMaxUrl = 512;
inline constexpr std::size_t kMaxRegion = 64;

using p2pls::HostPort;

// An announced "host:port" in the project's one syntax (common/core/host_port.hpp, port
// 1..65535), or the 400 bad_endpoint error that names `field` and the problem.
Expected<HostPort> parse_host_port(std::string_view text, std::string_view field);

// Channel names travel in URL paths: 1..64 of [A-Za-z0-9._-].
std::optional<HttpError> check_channel_name(std::string_view name);

// Peer ids: 1..128 printable ASCII characters, no spaces.
std::optional<HttpError> check_peer_id(std::string_view id, std::string_view field);

// DECADE server URLs: "http://" or "https://" followed by a host[:port][/path], ≤ 512 bytes.
std::optional<HttpError> check_url(std::string_view url, std::string_view field);

// Regions: ≤ 64 printable ASCII characters (empty = unknown).
std::optional<HttpError> check_region(std::string_view region, std::string_view field);

}  // namespace p2pls::tracker
