// Which channel key and which run of the source (its epoch) a viewer trusts, from the
// tracker's ChannelInfo. The key is self-certifying: the tracker relays the source's
// signed statement (common/core/announce_signature.hpp) and the viewer checks it with the
// key itself, so a tracker cannot make up an epoch for a key it does not hold.
//
// Rules, for one session (one PeerNode):
//   - A pinned key (--channel-key) is the only key accepted; a tracker that reports
//     another is refused (the viewer waits or keeps what it has).
//   - Without a pin, the first key seen is kept for the session: a later report of
//     another key is refused.
//   - The epoch of the first verified statement is the current one. A verified statement
//     of the same key with another epoch and a later timestamp means the source
//     restarted: new_epoch (the peer then resyncs to the new run). An older one is
//     ignored, so a stale relay cannot move a viewer back to a dead run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/core/announce_signature.hpp"
#include "p2pls/tracker.pb.h"

namespace p2pls::peer {

class ChannelTrust {
  public:
    enum class Verdict {
        no_key_yet,       // the tracker reports no key or no signed statement yet: wait
        accepted,         // the first key and epoch: start with them
        unchanged,        // same key, same epoch (or an older statement): carry on
        new_epoch,        // same key, newer run of the source: resync to epoch()
        refused_pin,      // the key differs from the pinned one
        refused_change,   // the key differs from the one this session started with
        refused_forgery,  // the statement does not verify under the key
    };

    ChannelTrust(std::string channel, std::optional<PublicKey> pinned);

    // One tracker reply's channel facts. `why` explains refusals (for the log).
    Verdict on_channel_info(const tracker_api::ChannelInfo& info, std::string& why);

    [[nodiscard]] const std::optional<PublicKey>& key() const noexcept { return key_; }
    [[nodiscard]] const SourceEpoch& epoch() const noexcept { return epoch_; }

  private:
    std::string channel_;
    std::optional<PublicKey> pinned_;
    std::optional<PublicKey> key_;
    SourceEpoch epoch_{};
    std::uint64_t timestamp_ms_ = 0;
};

// "ab12…" (the first bytes in hex), for log lines about keys and epochs.
std::string short_hex(const unsigned char* bytes, std::size_t n);

}  // namespace p2pls::peer
