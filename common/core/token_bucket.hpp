// A token-bucket rate limiter driven by passed-in time: the upload budget of a peer,
// the source's upload cap and the DECADE server's egress cap all use it.
#pragma once

#include <cstdint>

#include "common/core/time.hpp"

namespace p2pls {

class TokenBucket {
  public:
    // rate_bytes_per_s == 0 means unlimited. The bucket starts full with burst_bytes
    // (at least one byte, so that a tiny burst still lets traffic through).
    TokenBucket(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes, TimePoint now);

    [[nodiscard]] bool unlimited() const noexcept { return rate_ == 0; }
    [[nodiscard]] std::uint64_t rate_bytes_per_s() const noexcept { return rate_; }

    // Takes `bytes` if that many tokens are there now; otherwise takes nothing.
    bool try_consume(std::uint64_t bytes, TimePoint now);

    // Takes `bytes` unconditionally; the bucket may go into debt, which later refills
    // repay before anything else passes (for bytes already sent).
    void consume(std::uint64_t bytes, TimePoint now);

    // Tokens available now (0 while in debt).
    [[nodiscard]] std::uint64_t available(TimePoint now) const;

    // How long until `bytes` tokens are available (zero if they are now). A request
    // larger than the burst is measured against a full bucket's worth of refill.
    [[nodiscard]] Duration wait_for(std::uint64_t bytes, TimePoint now) const;

    // Changes the rate, keeping the tokens accrued so far.
    void set_rate(std::uint64_t rate_bytes_per_s, std::uint64_t burst_bytes, TimePoint now);

  private:
    // Tokens at `now` in micro-byte units (bytes * 1e6), capped at the burst.
    [[nodiscard]] std::int64_t level_at(TimePoint now) const;
    void refill(TimePoint now);

    std::uint64_t rate_;
    std::int64_t burst_micro_;  // burst in micro-bytes
    std::int64_t level_micro_;  // may be negative (debt)
    TimePoint last_;
};

}  // namespace p2pls
