// Construction, the TTL sweep and the metrics page; the operations live in the files
// named in server_core.hpp.
#include "decade-server/core/server_core.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace p2pls::decade_server {

OpResult error_result(HttpErrc code, std::string_view detail) {
    OpResult r;
    r.status = http_status(code);
    r.error = std::string(wire_code(code));
    r.detail = std::string(detail);
    return r;
}

OpResult store_unavailable(std::string_view detail) {
    // One second: descriptors and I/O come back as soon as the burst passes.
    constexpr std::uint32_t kStoreRetryAfterS = 1;
    OpResult r = error_result(HttpErrc::store_unavailable, detail);
    r.retry_after_s = kStoreRetryAfterS;
    return r;
}

OpResult status_result(unsigned status) {
    OpResult r;
    r.status = status;
    return r;
}

UnixSeconds saturating_add(UnixSeconds a, std::int64_t b) noexcept {
    UnixSeconds sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? std::numeric_limits<UnixSeconds>::max()
                     : std::numeric_limits<UnixSeconds>::min();
    }
    return sum;
}

std::string normalize_server_url(std::string_view url) {
    std::string out;
    out.reserve(url.size());
    for (char c : url) {
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    while (!out.empty() && out.back() == '/') {
        out.pop_back();
    }
    // A server is named by its base URL, over plain HTTP or HTTPS.
    for (const std::string_view scheme : {"http://", "https://"}) {
        if (out.size() > scheme.size() && out.compare(0, scheme.size(), scheme) == 0) {
            return out.find_first_of("/?#@ ", scheme.size()) == std::string::npos ? out
                                                                                  : std::string{};
        }
    }
    return {};
}

ServerCore::ServerCore(ServerConfig config, BlobStore& store)
    : config_(std::move(config)), store_(store) {
    for (auto* list : {&config_.peer_servers, &config_.self_urls}) {
        for (auto& url : *list) {
            url = normalize_server_url(url);
        }
        std::erase(*list, std::string{});
    }
    lookup_ = [this](std::string_view locker) -> const decade::LockerKey* {
        const auto it = lockers_.find(locker);
        return it == lockers_.end() ? nullptr : &it->second.key;
    };
}

OpResult ServerCore::count(OpResult result, std::string_view op) {
    auto by_op = request_counters_.find(op);
    if (by_op == request_counters_.end()) {
        by_op = request_counters_
                    .emplace(std::string(op), std::map<unsigned, MetricsRegistry::Series*>{})
                    .first;
    }
    auto& series = by_op->second[result.status];
    if (series == nullptr) {
        series = &metrics_.counter(
            "decade_requests_total", "Operations handled, by operation and status",
            {{"op", std::string(op)}, {"status", std::to_string(result.status)}});
    }
    series->inc();
    return result;
}

std::size_t ServerCore::sweep(UnixSeconds now) {
    std::size_t dropped = 0;
    while (!expiries_.empty() && std::get<0>(*expiries_.begin()) <= now) {
        const auto [expiry, locker_id, name] = *expiries_.begin();
        auto lk = lockers_.find(locker_id);
        if (lk == lockers_.end()) {
            expiries_.erase(expiries_.begin());
            continue;
        }
        auto it = lk->second.objects.find(name);
        if (it == lk->second.objects.end() || it->second.expiry_s != expiry) {
            expiries_.erase(expiries_.begin());
            continue;
        }
        // A record left on disk is expired, and the next start drops it.
        (void)store_.remove_ref(locker_id, name);
        drop_ref(lk->second, it);
        ++dropped;
    }
    // Token-use records of expired tokens (plus the skew allowance) are no longer needed.
    // A token may say it expires at the end of time: the sum saturates instead of wrapping
    // to the past (which would forget a live token's spent budget).
    for (auto& [id, locker] : lockers_) {
        std::erase_if(locker.tokens, [&](const auto& entry) {
            return saturating_add(entry.second.expiry_s, config_.token_skew_s) < now;
        });
    }
    if (dropped != 0) {
        metrics_.counter("decade_expired_objects_total", "References dropped by TTL")
            .inc(static_cast<double>(dropped));
    }
    return dropped;
}

std::size_t ServerCore::reference_count() const noexcept {
    std::size_t n = 0;
    for (const auto& [id, locker] : lockers_) {
        n += locker.objects.size();
    }
    return n;
}

std::string ServerCore::render_metrics() {
    metrics_.gauge("decade_blob_bytes", "Bytes stored, each distinct object once")
        .set(static_cast<double>(blob_bytes_));
    metrics_.gauge("decade_blobs", "Distinct objects stored")
        .set(static_cast<double>(blobs_.size()));
    metrics_.gauge("decade_logical_bytes", "Bytes held by all lockers, counted per locker")
        .set(static_cast<double>(logical_bytes_));
    metrics_.gauge("decade_lockers", "Lockers").set(static_cast<double>(lockers_.size()));
    metrics_.gauge("decade_capacity_bytes", "Storage capacity")
        .set(static_cast<double>(config_.capacity_bytes));
    metrics_
        .gauge("decade_object_charge_bytes",
               "Quota charged per object on top of its bytes (its reference and record)")
        .set(static_cast<double>(config_.object_charge_bytes));
    return metrics_.render();
}

}  // namespace p2pls::decade_server
