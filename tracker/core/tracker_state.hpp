// The tracker's whole state and its operations, with no I/O: channels (their source and
// stream parameters, and their soft-state members), the DECADE servers, a seeded RNG for
// peer sampling, and counters for /metrics. The HTTP adapter parses a request, calls one
// method with the current time, and serialises what it returns.
//
// Contract:
//   - `now` never moves backwards in effect: an older `now` is treated as the newest seen.
//   - A member (or a channel's source) is live while now < last_seen + expiry_intervals ×
//     interval; at that instant exactly it is gone, whether or not a sweep has run.
//   - A rejected request (any ApiError) changes nothing.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/time.hpp"
#include "p2pls/tracker.pb.h"
#include "tracker/core/api_error.hpp"
#include "tracker/core/config.hpp"
#include "tracker/core/member_set.hpp"

namespace p2pls::tracker {

class TrackerState {
  public:
    TrackerState(TrackerConfig config, std::uint64_t seed);

    // POST /v1/channels/{channel}/announce. `remote_host` is the asker's address as the
    // transport saw it; it replaces the host of an endpoint announced as 0.0.0.0 or "::"
    // (a peer that listens on every interface does not know which address others reach).
    Expected<tracker_api::AnnounceResponse> announce(std::string_view channel,
                                                     const tracker_api::AnnounceRequest& request,
                                                     TimePoint now,
                                                     std::string_view remote_host = {});

    // The same, filling `reply` (which may live on a protobuf arena); nullopt on success.
    std::optional<ApiError> announce_into(std::string_view channel,
                                          const tracker_api::AnnounceRequest& request,
                                          TimePoint now, std::string_view remote_host,
                                          tracker_api::AnnounceResponse& reply);

    // GET /v1/channels/{channel}.
    Expected<tracker_api::ChannelInfo> channel_info(std::string_view channel, TimePoint now);

    // GET /v1/channels: every channel, sorted by name.
    tracker_api::ChannelList channels(TimePoint now);

    // POST /v1/decade-servers: adds the server, or updates the one with the same URL.
    Expected<tracker_api::DecadeServerInfo> register_decade_server(
        const tracker_api::DecadeServerInfo& server);

    // The server a DECADE-mode peer in `region` should use: the least loaded server of
    // that region, else the least loaded of all (ties: smallest URL). nullopt when none.
    [[nodiscard]] std::optional<tracker_api::DecadeServerInfo> nearest_decade_server(
        std::string_view region) const;

    // Drops every member and source whose time is up, and channels left with neither.
    // Returns how many members were dropped. Call it at next_expiry() or periodically;
    // correctness does not depend on it (every read expires what it touches first).
    std::size_t expire(TimePoint now);
    // The earliest instant at which someone expires (nullopt when nobody can).
    [[nodiscard]] std::optional<TimePoint> next_expiry() const;

    // GET /metrics: Prometheus text.
    std::string render_metrics(TimePoint now);
    // Counts a rejected request under its error code (the API layer calls it).
    void count_error(std::string_view error);

    [[nodiscard]] const TrackerConfig& config() const noexcept { return config_; }
    [[nodiscard]] std::size_t channel_count() const noexcept { return channels_.size(); }
    [[nodiscard]] std::size_t member_count() const noexcept;

  private:
    struct Source {
        std::string peer_id;
        std::string endpoint;
        TimePoint last_seen{};
    };

    struct Channel {
        std::uint64_t bitrate_bps = 0;
        std::uint32_t chunk_ms = 1000;
        std::string public_key;
        std::uint64_t live_edge = 0;
        std::optional<Source> source;
        MemberSet members;
    };

    using ChannelMap = std::map<std::string, Channel, std::less<>>;

    [[nodiscard]] Duration ttl() const;
    TimePoint advance(TimePoint now);
    // Expires one channel's members and source; erases it when empty. Returns members
    // dropped; `it` is invalid afterwards if the channel was erased (returns via erased).
    std::size_t expire_channel(ChannelMap::iterator it, TimePoint now, bool& erased);
    tracker_api::ChannelInfo make_info(const std::string& name, const Channel& channel) const;

    TrackerConfig config_;
    std::mt19937_64 rng_;
    ChannelMap channels_;
    std::vector<tracker_api::DecadeServerInfo> decade_servers_;
    TimePoint latest_{};

    std::array<std::uint64_t, 4> announces_{};  // by tracker_api::Event value
    std::map<std::string, std::uint64_t, std::less<>> errors_;
    std::uint64_t expired_total_ = 0;
};

}  // namespace p2pls::tracker
