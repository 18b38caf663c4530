#include "source/net/announce_signer.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "tracker/core/source_announce.hpp"

namespace p2pls::source::net {

std::function<void(tracker_api::AnnounceRequest&)> make_announce_signer(std::string channel,
                                                                        const KeyPair& keys,
                                                                        const SourceEpoch& epoch) {
    auto last_ms = std::make_shared<std::int64_t>(0);
    return [channel = std::move(channel), keys, epoch,
            last_ms](tracker_api::AnnounceRequest& request) {
        const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
        *last_ms = std::max(now_ms, *last_ms + 1);
        request.set_source_epoch(reinterpret_cast<const char*>(epoch.data()), epoch.size());
        tracker::sign_source_announce(request, channel, keys.secret_key, *last_ms);
    };
}

}  // namespace p2pls::source::net
