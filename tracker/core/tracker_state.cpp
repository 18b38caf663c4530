#include "tracker/core/tracker_state.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/core/metrics_registry.hpp"
#include "tracker/core/source_announce.hpp"
#include "tracker/core/validate.hpp"

namespace p2pls::tracker {
namespace {

constexpr std::uint64_t kMaxBitrateBps = 100'000'000'000ULL;  // 100 Gbit/s: beyond is a typo
constexpr std::uint32_t kMinChunkMs = 10;
constexpr std::uint32_t kMaxChunkMs = 60'000;
constexpr std::size_t kPublicKeyBytes = 32;  // Ed25519

void fill_peer(const PeerRef& ref, tracker_api::PeerInfo& p) {
    p.set_peer_id(ref.peer_id.data(), ref.peer_id.size());
    p.set_endpoint(ref.endpoint.data(), ref.endpoint.size());
    p.set_mode(ref.mode);
    p.set_decade_server(ref.decade_server.data(), ref.decade_server.size());
}

// "0.0.0.0:port" / "[::]:port" name no address others can reach: use the one the
// transport saw the request come from.
std::string reachable_endpoint(const std::string& announced, const HostPort& hp,
                               std::string_view remote_host) {
    const bool wildcard = hp.host == "0.0.0.0" || hp.host == "::";
    if (!wildcard || remote_host.empty()) {
        return announced;
    }
    const bool v6 = remote_host.find(':') != std::string_view::npos;
    return (v6 ? "[" + std::string(remote_host) + "]" : std::string(remote_host)) + ":" +
           std::to_string(hp.port);
}

std::optional<HttpError> check_source_fields(const tracker_api::AnnounceRequest& r) {
    if (r.is_source()) {
        // A stopped event names the key too: it is checked against the channel's.
        if (r.public_key().size() != kPublicKeyBytes) {
            return HttpError(HttpErrc::bad_public_key,
                             "public_key must be a 32-byte Ed25519 key (base64 in JSON), got " +
                                 std::to_string(r.public_key().size()) + " bytes");
        }
        if (r.event() == tracker_api::stopped) {
            return std::nullopt;
        }
        if (r.bitrate_bps() == 0 || r.bitrate_bps() > kMaxBitrateBps) {
            return HttpError(HttpErrc::bad_bitrate,
                             "bitrate_bps must be 1..100000000000 for a source");
        }
        if (r.chunk_ms() != 0 && (r.chunk_ms() < kMinChunkMs || r.chunk_ms() > kMaxChunkMs)) {
            return HttpError(HttpErrc::bad_chunk_ms, "chunk_ms must be 10..60000 (0 = 1000)");
        }
        return std::nullopt;
    }
    const char* field = r.bitrate_bps() != 0        ? "bitrate_bps"
                        : r.chunk_ms() != 0         ? "chunk_ms"
                        : !r.public_key().empty()   ? "public_key"
                        : r.live_edge() != 0        ? "live_edge"
                        : !r.source_epoch().empty() ? "source_epoch"
                        : r.timestamp_ms() != 0     ? "timestamp_ms"
                        : !r.signature().empty()    ? "signature"
                                                    : nullptr;
    if (field != nullptr) {
        return HttpError(HttpErrc::source_only_field,
                         std::string(field) + " may only be sent with is_source=true");
    }
    return std::nullopt;
}

}  // namespace

TrackerState::TrackerState(TrackerConfig config, std::uint64_t seed)
    : config_(std::move(config)), keys_(config_.max_bound_channels), rng_(seed) {
    for (const auto& [channel, key] : config_.pinned_keys) {
        keys_.pin(channel, key);
    }
}

std::optional<HttpError> TrackerState::check_channel_key(std::string_view channel,
                                                         const tracker_api::AnnounceRequest& r,
                                                         std::int64_t unix_ms) const {
    if (auto e = check_source_announce(channel, r, unix_ms, config_.max_clock_skew_ms)) {
        return e;
    }
    const auto key = public_key_from_bytes(r.public_key());
    const auto owner = keys_.key_of(channel);
    if (owner && *owner != *key) {
        return HttpError(
            HttpErrc::channel_key_conflict,
            "channel \"" + std::string(channel) + "\" belongs to another key (" +
                (keys_.pinned(channel) ? "pinned by the operator" : "its first claim") + ")");
    }
    if (!owner && keys_.full()) {
        return HttpError(HttpErrc::tracker_full, "the tracker holds its maximum of channel keys");
    }
    // Not newer than what was accepted: a replay of an older statement.
    if (static_cast<std::int64_t>(r.timestamp_ms()) <= keys_.last_timestamp_ms(channel)) {
        return HttpError(HttpErrc::announce_stale,
                         "timestamp_ms is not newer than the channel's last accepted announce");
    }
    return std::nullopt;
}

Duration TrackerState::ttl() const {
    return std::chrono::duration_cast<Duration>(config_.interval * config_.expiry_intervals);
}

TimePoint TrackerState::advance(TimePoint now) {
    latest_ = std::max(latest_, now);
    // DECADE servers are soft state too: one that stopped re-registering is gone, and
    // peers must not be sent to it.
    const Duration server_ttl = config_.decade_server_ttl;
    std::erase_if(decade_servers_, [&](const DecadeServer& s) {
        return !s.permanent && latest_ - s.last_seen > server_ttl;
    });
    return latest_;
}

std::size_t TrackerState::member_count() const noexcept {
    return total_members_;
}

Expected<tracker_api::AnnounceResponse> TrackerState::announce(
    std::string_view channel_name, const tracker_api::AnnounceRequest& request, TimePoint now,
    std::string_view remote_host, std::int64_t unix_ms) {
    AnnounceView view;
    if (auto error = announce_view(channel_name, request, now, remote_host, view, unix_ms)) {
        return *std::move(error);
    }
    return to_message(view);
}

tracker_api::AnnounceResponse TrackerState::to_message(const AnnounceView& view) {
    tracker_api::AnnounceResponse reply;
    reply.set_interval_s(view.interval_s);
    for (const auto& p : view.peers) {
        fill_peer(p, *reply.add_peers());
    }
    if (view.source) {
        fill_peer(*view.source, *reply.mutable_source());
    }
    if (view.decade_server != nullptr) {
        *reply.mutable_decade_server() = *view.decade_server;
    }
    if (!view.has_channel) {
        return reply;
    }
    auto* c = reply.mutable_channel();
    c->set_name(view.channel.name.data(), view.channel.name.size());
    c->set_bitrate_bps(view.channel.bitrate_bps);
    c->set_chunk_ms(view.channel.chunk_ms);
    c->set_public_key(view.channel.public_key.data(), view.channel.public_key.size());
    c->set_source_endpoint(view.channel.source_endpoint.data(),
                           view.channel.source_endpoint.size());
    c->set_live_edge(view.channel.live_edge);
    c->set_members(view.channel.members);
    c->set_source_epoch(view.channel.source_epoch.data(), view.channel.source_epoch.size());
    c->set_source_timestamp_ms(view.channel.source_timestamp_ms);
    c->set_source_signature(view.channel.source_signature.data(),
                            view.channel.source_signature.size());
    c->set_source_peer_id(view.channel.source_peer_id.data(), view.channel.source_peer_id.size());
    c->set_source_signed_endpoint(view.channel.source_signed_endpoint.data(),
                                  view.channel.source_signed_endpoint.size());
    return reply;
}

void TrackerState::erase_pending() {
    if (has_pending_erase_) {
        has_pending_erase_ = false;
        const Channel& c = pending_erase_->second;
        if (!c.source && c.members.empty()) {
            channels_.erase(pending_erase_);
        }
    }
}

std::optional<HttpError> TrackerState::announce_view(std::string_view channel_name,
                                                     const tracker_api::AnnounceRequest& r,
                                                     TimePoint now, std::string_view remote_host,
                                                     AnnounceView& view, std::int64_t unix_ms) {
    erase_pending();
    // 1. Every field, before touching any state.
    if (auto e = check_channel_name(channel_name)) {
        return *e;
    }
    if (r.event() != tracker_api::started && r.event() != tracker_api::heartbeat &&
        r.event() != tracker_api::stopped) {
        return HttpError(HttpErrc::bad_event, "event must be started, heartbeat or stopped");
    }
    if (auto e = check_peer_id(r.peer_id(), "peer_id")) {
        return *e;
    }
    if (!wire::Mode_IsValid(r.mode())) {
        return HttpError(HttpErrc::bad_mode, "mode must be native or decade");
    }
    std::string endpoint;
    if (r.event() != tracker_api::stopped || !r.endpoint().empty()) {
        auto hp = parse_host_port(r.endpoint(), "endpoint");
        if (!hp) {
            return hp.error();
        }
        endpoint = reachable_endpoint(r.endpoint(), *hp, remote_host);
    }
    if (!r.decade_server().empty()) {
        if (auto e = check_url(r.decade_server(), "decade_server")) {
            return *e;
        }
    }
    if (auto e = check_region(r.region(), "region")) {
        return *e;
    }
    if (auto e = check_source_fields(r)) {
        return *e;
    }
    if (r.is_source()) {
        if (auto e = check_channel_key(channel_name, r, unix_ms)) {
            return *e;
        }
    }

    // 2. The channel as it stands at `now`, and the capacity checks.
    now = advance(now);
    auto it = channels_.find(channel_name);
    if (it != channels_.end()) {
        bool erased = false;
        expired_total_ += expire_channel(it, now, erased);
        if (erased) {
            it = channels_.end();
        }
    }
    if (it == channels_.end()) {
        if (!r.is_source() || r.event() == tracker_api::stopped) {
            return HttpError(HttpErrc::unknown_channel,
                             "no channel \"" + std::string(channel_name) +
                                 "\": its source has not announced it (or it expired)");
        }
        if (channels_.size() >= config_.max_channels) {
            return HttpError(HttpErrc::tracker_full, "the tracker holds its maximum of channels");
        }
    } else if (r.is_source()) {
        const auto& src = it->second.source;
        if (src && src->peer_id != r.peer_id()) {
            return HttpError(HttpErrc::source_conflict,
                             "channel \"" + std::string(channel_name) +
                                 "\" already has a live source with another peer_id");
        }
    } else if (it->second.source && it->second.source->peer_id == r.peer_id()) {
        // The source's peer id is public (every reply names it): from anyone but the
        // signed source it is an impersonation, and it may not even join as a member.
        return HttpError(HttpErrc::source_conflict,
                         "peer_id \"" + r.peer_id() + "\" is the channel's source");
    } else if (r.event() != tracker_api::stopped &&
               it->second.members.find(r.peer_id()) == nullptr) {
        if (it->second.members.size() >= config_.max_members_per_channel) {
            return HttpError(HttpErrc::channel_full, "the channel holds its maximum of members");
        }
        if (total_members_ >= config_.max_members) {
            return HttpError(HttpErrc::tracker_full, "the tracker holds its maximum of members");
        }
    }

    // 3. Apply.
    ++announces_[static_cast<std::size_t>(r.event())];
    if (it == channels_.end()) {
        it = channels_.emplace(std::string(channel_name), Channel{}).first;
    }
    Channel& channel = it->second;
    const wire::Mode mode = r.mode() == wire::mode_unspecified ? wire::native : r.mode();
    const tracker_api::DecadeServerInfo* nearest = nullptr;
    if (mode == wire::decade) {
        nearest = nearest_decade_server(r.region());
    }

    if (r.is_source()) {
        keys_.bind(channel_name, *public_key_from_bytes(r.public_key()));
        keys_.set_last_timestamp_ms(channel_name, static_cast<std::int64_t>(r.timestamp_ms()));
        if (r.event() == tracker_api::stopped) {
            channel.source.reset();
        } else {
            channel.source = Source{r.peer_id(), endpoint, now};
            channel.bitrate_bps = r.bitrate_bps();
            channel.chunk_ms = r.chunk_ms() == 0 ? 1000 : r.chunk_ms();
            channel.public_key = r.public_key();
            channel.live_edge = r.live_edge();
            channel.statement = Statement{r.source_epoch(), r.timestamp_ms(), r.signature(),
                                          r.peer_id(), r.endpoint()};
        }
    } else if (r.event() == tracker_api::stopped) {
        if (channel.members.erase(r.peer_id())) {
            --total_members_;
        }
    } else {
        std::string_view home = r.decade_server();
        if (home.empty() && nearest != nullptr) {
            home = nearest->url();
        }
        const std::size_t before = channel.members.size();
        channel.members.upsert(r.peer_id(), endpoint, mode, home, now);
        total_members_ += channel.members.size() - before;
    }

    view.interval_s = static_cast<std::uint32_t>(config_.interval.count());
    view.peers.clear();
    view.source.reset();
    if (channel.source) {
        view.source = PeerRef{channel.source->peer_id, channel.source->endpoint, wire::native, {}};
    }
    view.decade_server = nearest;
    view.has_channel = true;
    view.channel.name = it->first;
    view.channel.bitrate_bps = channel.bitrate_bps;
    view.channel.chunk_ms = channel.chunk_ms;
    view.channel.public_key = channel.public_key;
    view.channel.source_endpoint =
        channel.source ? std::string_view(channel.source->endpoint) : std::string_view();
    view.channel.live_edge = channel.live_edge;
    view.channel.members = static_cast<std::uint32_t>(channel.members.size());
    view.channel.source_epoch = channel.statement.epoch;
    view.channel.source_timestamp_ms = channel.statement.timestamp_ms;
    view.channel.source_signature = channel.statement.signature;
    view.channel.source_peer_id = channel.statement.peer_id;
    view.channel.source_signed_endpoint = channel.statement.endpoint;
    if (r.event() != tracker_api::stopped) {
        const std::uint32_t want = r.num_want() == 0 ? config_.default_peers : r.num_want();
        const std::size_t k = std::min(want, config_.max_peers);
        channel.members.sample(k, r.peer_id(), rng_, [&](const Member& m) {
            view.peers.push_back(PeerRef{m.peer_id, m.endpoint, m.mode, m.decade_server});
        });
    }
    if (!channel.source && channel.members.empty()) {
        pending_erase_ = it;
        has_pending_erase_ = true;
    }
    return std::nullopt;
}

Expected<tracker_api::ChannelInfo> TrackerState::channel_info(std::string_view name,
                                                              TimePoint now) {
    if (auto e = check_channel_name(name)) {
        return *e;
    }
    now = advance(now);
    auto it = channels_.find(name);
    if (it != channels_.end()) {
        bool erased = false;
        expired_total_ += expire_channel(it, now, erased);
        if (!erased) {
            return make_info(it->first, it->second);
        }
    }
    return HttpError(HttpErrc::unknown_channel, "no channel \"" + std::string(name) + "\"");
}

tracker_api::ChannelList TrackerState::channels(TimePoint now) {
    expire(now);
    tracker_api::ChannelList list;
    for (const auto& [name, channel] : channels_) {
        *list.add_channels() = make_info(name, channel);
    }
    return list;
}

Expected<tracker_api::DecadeServerInfo> TrackerState::register_decade_server(
    const tracker_api::DecadeServerInfo& server, TimePoint now, bool permanent) {
    now = advance(now);
    if (server.url().empty()) {
        return HttpError(HttpErrc::bad_url, "url is empty");
    }
    if (auto e = check_url(server.url(), "url")) {
        return *e;
    }
    if (auto e = check_region(server.region(), "region")) {
        return *e;
    }
    if (!std::isfinite(server.load()) || server.load() < 0.0 || server.load() > 1.0) {
        return HttpError(HttpErrc::bad_load, "load must be a number in 0..1");
    }
    const auto it = std::find_if(decade_servers_.begin(), decade_servers_.end(),
                                 [&](const auto& s) { return s.info.url() == server.url(); });
    if (it != decade_servers_.end()) {
        it->info = server;
        it->last_seen = now;
        it->permanent = it->permanent || permanent;
        return server;
    }
    if (decade_servers_.size() >= config_.max_decade_servers) {
        return HttpError(HttpErrc::tracker_full, "the tracker holds its maximum of DECADE servers");
    }
    decade_servers_.push_back({server, now, permanent});
    return server;
}

const tracker_api::DecadeServerInfo* TrackerState::nearest_decade_server(
    std::string_view region) const {
    const tracker_api::DecadeServerInfo* best = nullptr;
    bool best_local = false;
    for (const auto& entry : decade_servers_) {
        const tracker_api::DecadeServerInfo& s = entry.info;
        const bool local = !region.empty() && s.region() == region;
        const bool better =
            best == nullptr || (local && !best_local) ||
            (local == best_local &&
             (s.load() < best->load() || (s.load() == best->load() && s.url() < best->url())));
        if (better) {
            best = &s;
            best_local = local;
        }
    }
    return best;
}

std::size_t TrackerState::expire_channel(ChannelMap::iterator it, TimePoint now, bool& erased) {
    const TimePoint cutoff = now - ttl();
    Channel& channel = it->second;
    const std::size_t dropped = channel.members.expire_heard_until(cutoff);
    total_members_ -= dropped;
    if (channel.source && channel.source->last_seen <= cutoff) {
        channel.source.reset();
    }
    erased = !channel.source && channel.members.empty();
    if (erased) {
        if (has_pending_erase_ && pending_erase_ == it) {
            has_pending_erase_ = false;
        }
        channels_.erase(it);
    }
    return dropped;
}

std::size_t TrackerState::expire(TimePoint now) {
    now = advance(now);
    std::size_t dropped = 0;
    for (auto it = channels_.begin(); it != channels_.end();) {
        auto next = std::next(it);
        bool erased = false;
        dropped += expire_channel(it, now, erased);
        it = next;
    }
    expired_total_ += dropped;
    return dropped;
}

std::optional<TimePoint> TrackerState::next_expiry() const {
    std::optional<TimePoint> earliest;
    const auto consider = [&](TimePoint last_seen) {
        const TimePoint at = last_seen + ttl();
        if (!earliest || at < *earliest) {
            earliest = at;
        }
    };
    for (const auto& [name, channel] : channels_) {
        if (auto t = channel.members.oldest_last_seen()) {
            consider(*t);
        }
        if (channel.source) {
            consider(channel.source->last_seen);
        }
    }
    return earliest;
}

tracker_api::ChannelInfo TrackerState::make_info(const std::string& name,
                                                 const Channel& channel) const {
    tracker_api::ChannelInfo info;
    info.set_name(name);
    info.set_bitrate_bps(channel.bitrate_bps);
    info.set_chunk_ms(channel.chunk_ms);
    info.set_public_key(channel.public_key);
    info.set_source_endpoint(channel.source ? channel.source->endpoint : std::string());
    info.set_live_edge(channel.live_edge);
    info.set_members(static_cast<std::uint32_t>(channel.members.size()));
    info.set_source_epoch(channel.statement.epoch);
    info.set_source_timestamp_ms(channel.statement.timestamp_ms);
    info.set_source_signature(channel.statement.signature);
    info.set_source_peer_id(channel.statement.peer_id);
    info.set_source_signed_endpoint(channel.statement.endpoint);
    return info;
}

void TrackerState::count_error(std::string_view error) {
    auto it = errors_.find(error);
    if (it == errors_.end()) {
        // Codes come from this library, not from clients, so the map stays small.
        it = errors_.emplace(std::string(error), 0).first;
    }
    ++it->second;
}

std::string TrackerState::render_metrics(TimePoint now) {
    expire(now);
    MetricsRegistry m;
    static constexpr std::array<const char*, 4> kEvents = {"unspecified", "started", "heartbeat",
                                                           "stopped"};
    for (std::size_t e = 1; e < kEvents.size(); ++e) {
        m.counter("p2pls_tracker_announces_total", "Announces accepted, by event.",
                  {{"event", kEvents[e]}})
            .set(static_cast<double>(announces_[e]));
    }
    for (const auto& [code, n] : errors_) {
        m.counter("p2pls_tracker_errors_total", "Requests rejected, by error code.",
                  {{"error", code}})
            .set(static_cast<double>(n));
    }
    m.counter("p2pls_tracker_members_expired_total",
              "Members dropped for not announcing within the expiry time.")
        .set(static_cast<double>(expired_total_));
    m.gauge("p2pls_tracker_channels", "Channels known.").set(static_cast<double>(channels_.size()));
    m.gauge("p2pls_tracker_decade_servers", "DECADE servers registered.")
        .set(static_cast<double>(decade_servers_.size()));
    for (const auto& [name, channel] : channels_) {
        m.gauge("p2pls_tracker_members", "Live members per channel.", {{"channel", name}})
            .set(static_cast<double>(channel.members.size()));
    }
    return m.render();
}

}  // namespace p2pls::tracker
