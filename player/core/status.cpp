#include "player/core/status.hpp"

#include <algorithm>
#include <cstdio>

namespace p2pls::player {

namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

std::string format_rate(double bytes_per_s) {
    if (bytes_per_s < 1000) {
        return fixed(std::max(0.0, bytes_per_s), 0) + " B/s";
    }
    if (bytes_per_s < 1e6) {
        return fixed(bytes_per_s / 1e3, 1) + " kB/s";
    }
    return fixed(bytes_per_s / 1e6, 2) + " MB/s";
}

std::string format_status(const StatusSnapshot& s) {
    std::string out;
    out += s.startup_delay_s ? "startup " + fixed(*s.startup_delay_s, 2) + "s"
                             : "joining " + fixed(s.elapsed_s, 0) + "s";
    out += " | buf " + (s.buffer_s ? fixed(*s.buffer_s, 1) + "s" : std::string("-"));
    out += " | lag " + (s.lag_s ? fixed(*s.lag_s, 1) + "s" : std::string("-"));
    out += " | miss " + std::to_string(s.chunks_missed) + "/" + std::to_string(s.chunks_due);
    out += " | freezes " + std::to_string(s.freezes);
    if (s.stalled_for_s) {
        out += " | STALLED " + fixed(*s.stalled_for_s, 0) + "s (waiting for chunks)";
    }
    out += " | down " + format_rate(s.download_bytes_per_s);
    out += " | up " + format_rate(s.upload_bytes_per_s);
    out += " | nbrs " + std::to_string(s.neighbors);
    if (s.decade_unavailable) {
        out += " | decade OFF (" + *s.decade_unavailable + ")";
    } else if (s.decade_share) {
        out += " | decade " + fixed(*s.decade_share * 100, 0) + "%";
    }
    out += " | frames " + std::to_string(s.frames_decoded);
    if (s.http_clients) {
        out += " | http " + std::to_string(*s.http_clients);
    }
    return out;
}

void apply_report(const report::QoeReport& r, bool decade, StatusSnapshot& s) {
    s.elapsed_s = r.elapsed_s();
    s.chunks_due = r.chunks_due();
    s.chunks_missed = r.chunks_missed();
    s.freezes = r.freezes();
    s.neighbors = r.neighbors();
    if (decade) {
        const auto media = r.bytes_from_source() + r.bytes_from_peers() + r.bytes_from_decade();
        s.decade_share =
            media == 0 ? 0.0
                       : static_cast<double>(r.bytes_from_decade()) / static_cast<double>(media);
    } else {
        s.decade_share.reset();
    }
    if (decade && !r.decade_unavailable().empty()) {
        s.decade_unavailable = r.decade_unavailable();
    } else {
        s.decade_unavailable.reset();
    }
}

void RateMeter::sample(std::uint64_t total_bytes, TimePoint now) {
    if (last_ && now > last_->second) {
        const auto delta = total_bytes >= last_->first ? total_bytes - last_->first : 0;
        rate_ = static_cast<double>(delta) / to_seconds(now - last_->second);
    }
    if (!last_ || now > last_->second) {
        last_ = {total_bytes, now};
    }
}

std::optional<Duration> StallWatch::stalled_for(TimePoint now) const {
    if (!last_ || now - *last_ <= grace_) {
        return std::nullopt;
    }
    return now - *last_;
}

void LiveEdge::anchor(std::uint64_t live_seq, TimePoint now) {
    anchor_ = {live_seq, now};
}

std::optional<double> LiveEdge::lag_s(std::uint64_t played_seq, TimePoint now) const {
    if (!anchor_ || chunk_duration_.count() <= 0) {
        return std::nullopt;
    }
    const double since = to_seconds(now - anchor_->second);
    const double edge_s =
        static_cast<double>(anchor_->first) * to_seconds(chunk_duration_) + std::max(0.0, since);
    const double played_s = static_cast<double>(played_seq) * to_seconds(chunk_duration_);
    return std::max(0.0, edge_s - played_s);
}

}  // namespace p2pls::player
