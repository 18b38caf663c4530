#include "player/core/join.hpp"

#include <algorithm>
#include <cstdio>

namespace p2pls::player {

JoinAttempts::JoinAttempts(std::string channel, std::string tracker_url, Duration timeout,
                           TimePoint started, Duration initial_backoff, Duration max_backoff)
    : channel_(std::move(channel)),
      tracker_url_(std::move(tracker_url)),
      timeout_(timeout),
      started_(started),
      backoff_(initial_backoff),
      max_backoff_(max_backoff) {}

JoinDecision JoinAttempts::on_success() {
    ++attempts_;
    return {.step = JoinStep::joined,
            .message = "joined channel '" + channel_ + "' at " + tracker_url_};
}

JoinDecision JoinAttempts::on_failure(int http_status, std::string_view error,
                                      std::string_view detail, TimePoint now) {
    ++attempts_;
    if (http_status == 404) {
        return {.step = JoinStep::unknown_channel,
                .message = "the tracker at " + tracker_url_ + " has no channel '" + channel_ +
                           "' (is the source running? list channels with GET " + tracker_url_ +
                           "/v1/channels)"};
    }
    if (http_status >= 400 && http_status < 500) {
        return {.step = JoinStep::rejected,
                .message = "the tracker refused the request (" + std::to_string(http_status) + " " +
                           std::string(error) + "): " + std::string(detail)};
    }
    const std::string why = http_status == 0
                                ? std::string(detail.empty() ? "no answer" : detail)
                                : "HTTP " + std::to_string(http_status) + " " + std::string(error) +
                                      (detail.empty() ? "" : ": " + std::string(detail));
    const auto deadline = started_ + timeout_;
    if (now >= deadline) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.1f", to_seconds(timeout_));
        return {.step = JoinStep::give_up,
                .message = "giving up: no answer from the tracker at " + tracker_url_ + " within " +
                           secs + " s (--join-timeout); last error: " + why};
    }
    // The last wait ends at the deadline, for one final attempt there.
    const Duration wait = std::min(backoff_, deadline - now);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", to_seconds(wait));
    JoinDecision d{.step = JoinStep::retry,
                   .retry_in = wait,
                   .message = "cannot join yet: " + why + " (attempt " + std::to_string(attempts_) +
                              "), retrying in " + secs + " s"};
    backoff_ = std::min(backoff_ * 2, max_backoff_);
    return d;
}

}  // namespace p2pls::player
