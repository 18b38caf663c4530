// The tracker's whole state and its operations, with no I/O: channels (their source and
// stream parameters, and their soft-state members), the DECADE servers, a seeded RNG for
// peer sampling, and counters for /metrics. The HTTP adapter parses a request, calls one
// method with the current time, and serialises what it returns.
//
// Contract:
//   - `now` never moves backwards in effect: an older `now` is treated as the newest seen.
//   - A member (or a channel's source) is live while now < last_seen + expiry_intervals ×
//     interval; at that instant exactly it is gone, whether or not a sweep has run.
//   - A rejected request (any HttpError) changes nothing.
//   - A channel belongs to a key (channel_keys.hpp): only announces signed by that key
//     (source_announce.hpp), with a timestamp within the clock skew and newer than the
//     last accepted one, create, update or stop its source. The first accepted key binds
//     the name; the bindings are what the state file keeps.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/http_error.hpp"
#include "common/core/time.hpp"
#include "p2pls/tracker.pb.h"
#include "tracker/core/channel_keys.hpp"
#include "tracker/core/config.hpp"
#include "tracker/core/member_set.hpp"

namespace p2pls::tracker {

// One peer as a reply shows it; views into the tracker's own strings.
struct PeerRef {
    std::string_view peer_id;
    std::string_view endpoint;
    wire::Mode mode = wire::native;
    std::string_view decade_server;
};

// An announce reply without copies: everything points into the TrackerState (or the
// message it was built from) and is valid until the next call on that state.
struct AnnounceView {
    std::uint32_t interval_s = 0;
    std::vector<PeerRef> peers;
    std::optional<PeerRef> source;
    const tracker_api::DecadeServerInfo* decade_server = nullptr;
    bool has_channel = false;
    struct {
        std::string_view name;
        std::uint64_t bitrate_bps = 0;
        std::uint32_t chunk_ms = 0;
        std::string_view public_key;
        std::string_view source_endpoint;
        std::uint64_t live_edge = 0;
        std::uint32_t members = 0;
        std::string_view source_epoch;
        std::uint64_t source_timestamp_ms = 0;
        std::string_view source_signature;
        std::string_view source_peer_id;
        std::string_view source_signed_endpoint;
    } channel;
};

class TrackerState {
  public:
    TrackerState(TrackerConfig config, std::uint64_t seed);

    // POST /v1/channels/{channel}/announce. `remote_host` is the asker's address as the
    // transport saw it; it replaces the host of an endpoint announced as 0.0.0.0 or "::"
    // (a peer that listens on every interface does not know which address others reach).
    // `unix_ms` is the wall clock (Unix ms) that source signatures' timestamps are
    // judged against.
    Expected<tracker_api::AnnounceResponse> announce(std::string_view channel,
                                                     const tracker_api::AnnounceRequest& request,
                                                     TimePoint now,
                                                     std::string_view remote_host = {},
                                                     std::int64_t unix_ms = 0);

    // The same without building a message (the HTTP hot path): fills `view`, valid
    // until the next call on this state. nullopt on success.
    std::optional<HttpError> announce_view(std::string_view channel,
                                           const tracker_api::AnnounceRequest& request,
                                           TimePoint now, std::string_view remote_host,
                                           AnnounceView& view, std::int64_t unix_ms = 0);

    // The channel-to-key bindings and pins (the adapter loads and saves the state file).
    ChannelKeys& channel_keys() noexcept { return keys_; }

    // The message an AnnounceView stands for.
    static tracker_api::AnnounceResponse to_message(const AnnounceView& view);

    // GET /v1/channels/{channel}.
    Expected<tracker_api::ChannelInfo> channel_info(std::string_view channel, TimePoint now);

    // GET /v1/channels: every channel, sorted by name.
    tracker_api::ChannelList channels(TimePoint now);

    // POST /v1/decade-servers: adds the server, or updates the one with the same URL
    // and renews it. `permanent` (servers from the config file): never forgotten.
    Expected<tracker_api::DecadeServerInfo> register_decade_server(
        const tracker_api::DecadeServerInfo& server, TimePoint now, bool permanent = false);

    // The server a DECADE-mode peer in `region` should use: the least loaded server of
    // that region, else the least loaded of all (ties: smallest URL). nullopt when none.
    // The pointer is valid until the next call that passes a time (servers expire then).
    [[nodiscard]] const tracker_api::DecadeServerInfo* nearest_decade_server(
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
    [[nodiscard]] std::size_t channel_count() const noexcept {
        return channels_.size() - (has_pending_erase_ ? 1 : 0);
    }
    [[nodiscard]] std::size_t member_count() const noexcept;

  private:
    struct Source {
        std::string peer_id;
        std::string endpoint;
        TimePoint last_seen{};
    };

    // The source's last accepted announce as signed, relayed in ChannelInfo.
    struct Statement {
        std::string epoch;
        std::uint64_t timestamp_ms = 0;
        std::string signature;
        std::string peer_id;
        std::string endpoint;
    };

    struct Channel {
        std::uint64_t bitrate_bps = 0;
        std::uint32_t chunk_ms = 1000;
        std::string public_key;
        std::uint64_t live_edge = 0;
        Statement statement;
        std::optional<Source> source;
        MemberSet members;
    };

    using ChannelMap = std::map<std::string, Channel, std::less<>>;

    [[nodiscard]] Duration ttl() const;
    void erase_pending();
    TimePoint advance(TimePoint now);
    // Expires one channel's members and source; erases it when empty. Returns members
    // dropped; `it` is invalid afterwards if the channel was erased (returns via erased).
    std::size_t expire_channel(ChannelMap::iterator it, TimePoint now, bool& erased);
    tracker_api::ChannelInfo make_info(const std::string& name, const Channel& channel) const;

    // The key checks of a source announce, before anything changes: 401 / 409 / 503.
    std::optional<HttpError> check_channel_key(std::string_view channel,
                                               const tracker_api::AnnounceRequest& r,
                                               std::int64_t unix_ms) const;

    TrackerConfig config_;
    ChannelKeys keys_;
    std::mt19937_64 rng_;
    ChannelMap channels_;
    struct DecadeServer {
        tracker_api::DecadeServerInfo info;
        TimePoint last_seen{};
        bool permanent = false;
    };
    std::vector<DecadeServer> decade_servers_;
    TimePoint latest_{};
    // A channel left with no source and no member by the last announce: erased at the
    // start of the next call, so that the last AnnounceView could still point into it.
    bool has_pending_erase_ = false;
    ChannelMap::iterator pending_erase_{};

    std::array<std::uint64_t, 4> announces_{};  // by tracker_api::Event value
    std::map<std::string, std::uint64_t, std::less<>> errors_;
    std::uint64_t expired_total_ = 0;
    std::size_t total_members_ = 0;  // over all channels
};

}  // namespace p2pls::tracker
