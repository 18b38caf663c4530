#include "common/core/token_bucket.hpp"

#include <algorithm>
#include <limits>

namespace p2pls {
namespace {

constexpr std::int64_t kMicro = 1'000'000;

// Saturating conversion so that absurd configurations cannot overflow.
std::int64_t to_micro(std::uint64_t bytes) {
    constexpr auto kMax =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / kMicro);
    return static_cast<std::int64_t>(std::min(bytes, kMax)) * kMicro;
}

}  // namespace

TokenBucket::TokenBucket(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes, TimePoint now)
    : rate_(rate_bytes_per_s),
      burst_micro_(to_micro(std::max<std::uint64_t>(burst_bytes, 1))),
      level_micro_(burst_micro_),
      last_(now) {}

std::int64_t TokenBucket::level_at(TimePoint now) const {
    if (now <= last_) {
        return level_micro_;
    }
    const std::int64_t elapsed_us = (now - last_).count();
    // Refill needed to reach the burst from the current level; anything beyond is wasted,
    // which also keeps elapsed * rate from overflowing after a long idle time.
    const std::int64_t room = burst_micro_ - level_micro_;
    const std::int64_t rate = static_cast<std::int64_t>(std::min<std::uint64_t>(
        rate_, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
    if (room <= 0 || elapsed_us >= room / std::max<std::int64_t>(rate, 1) + 1) {
        return std::max(level_micro_, burst_micro_);
    }
    return std::min(level_micro_ + elapsed_us * rate, burst_micro_);
}

void TokenBucket::refill(TimePoint now) {
    if (now > last_) {
        level_micro_ = level_at(now);
        last_ = now;
    }
}

bool TokenBucket::try_consume(std::uint64_t bytes, TimePoint now) {
    if (unlimited()) {
        return true;
    }
    refill(now);
    const std::int64_t need = to_micro(bytes);
    if (level_micro_ < need) {
        return false;
    }
    level_micro_ -= need;
    return true;
}

void TokenBucket::consume(std::uint64_t bytes, TimePoint now) {
    if (unlimited()) {
        return;
    }
    refill(now);
    level_micro_ -= to_micro(bytes);
}

std::uint64_t TokenBucket::available(TimePoint now) const {
    if (unlimited()) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    return static_cast<std::uint64_t>(std::max<std::int64_t>(level_at(now), 0) / kMicro);
}

Duration TokenBucket::wait_for(std::uint64_t bytes, TimePoint now) const {
    if (unlimited()) {
        return Duration::zero();
    }
    const std::int64_t need = std::min(to_micro(bytes), burst_micro_);
    const std::int64_t level = level_at(now);
    if (level >= need) {
        return Duration::zero();
    }
    const auto rate = static_cast<std::int64_t>(rate_);
    // Round up: waiting one microsecond too little would find the bucket short.
    return Duration{(need - level + rate - 1) / rate};
}

void TokenBucket::set_rate(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes,
                           TimePoint now) {
    refill(now);
    rate_ = rate_bytes_per_s;
    burst_micro_ = to_micro(std::max<std::uint64_t>(burst_bytes, 1));
    level_micro_ = std::min(level_micro_, burst_micro_);
}

}  // namespace p2pls
