// Joining a channel, as the viewer sees it, with no I/O: the player asks the tracker
// about the channel before it starts its peer, and this class decides what each answer
// means — go on, stop with "no such channel", or retry (visibly) until --join-timeout.
// Also the player's exit codes, one per outcome a script may want to tell apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/time.hpp"

namespace p2pls::player {

// Exit codes of p2pls-player (also in --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfig = 2;              // bad flags or values
inline constexpr int kExitUnknownChannel = 3;      // the tracker has no such channel
inline constexpr int kExitTrackerUnreachable = 4;  // no answer within --join-timeout
inline constexpr int kExitMedia = 5;               // missing plugin, pipeline error
inline constexpr int kExitIo = 6;                  // cannot listen, cannot write the report
inline constexpr int kExitNoDecade = 7;            // --require-decade, and no storage to be had

enum class JoinStep {
    joined,           // the tracker knows the channel: start the peer
    unknown_channel,  // 404: stop with kExitUnknownChannel
    rejected,         // another 4xx: our request is wrong; stop with kExitConfig
    retry,            // unreachable, timeout or 5xx: try again after retry_in
    give_up,          // ... and --join-timeout has passed: kExitTrackerUnreachable
};

struct JoinDecision {
    JoinStep step = JoinStep::joined;
    Duration retry_in{};  // JoinStep::retry only
    std::string message;  // the line to show the viewer
};

class JoinAttempts {
  public:
    // `started` is when joining began; backoff doubles from `initial` up to `max`.
    JoinAttempts(std::string channel, std::string tracker_url, Duration timeout, TimePoint started,
                 Duration initial_backoff = from_millis(500),
                 Duration max_backoff = from_millis(4000));

    JoinDecision on_success();
    // `http_status` 0 = transport failure or timeout; `error` is the ErrorBody code.
    JoinDecision on_failure(int http_status, std::string_view error, std::string_view detail,
                            TimePoint now);

    [[nodiscard]] std::uint32_t attempts() const noexcept { return attempts_; }

  private:
    std::string channel_;
    std::string tracker_url_;
    Duration timeout_;
    TimePoint started_;
    Duration backoff_;
    Duration max_backoff_;
    std::uint32_t attempts_ = 0;
};

}  // namespace p2pls::player
