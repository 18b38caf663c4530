#include "tracker/core/source_announce.hpp"

#include <string>

namespace p2pls::tracker {

SourceStatement statement_of(std::string_view channel,
                             const tracker_api::AnnounceRequest& request) {
    SourceStatement s;
    s.kind = request.event() == tracker_api::stopped ? SourceStatementKind::stopped
                                                     : SourceStatementKind::announce;
    s.channel = channel;
    s.peer_id = request.peer_id();
    s.endpoint = request.endpoint();
    if (auto epoch = source_epoch_from_bytes(request.source_epoch())) {
        s.epoch = *epoch;
    }
    s.live_edge = request.live_edge();
    s.timestamp_ms = static_cast<std::int64_t>(request.timestamp_ms());
    return s;
}

void sign_source_announce(tracker_api::AnnounceRequest& request, std::string_view channel,
                          const SecretKey& key, std::int64_t timestamp_ms) {
    request.set_timestamp_ms(static_cast<std::uint64_t>(timestamp_ms));
    const Signature sig = sign_source_statement(key, statement_of(channel, request));
    request.set_signature(reinterpret_cast<const char*>(sig.data()), sig.size());
}

std::optional<HttpError> check_source_announce(std::string_view channel,
                                               const tracker_api::AnnounceRequest& request,
                                               std::int64_t now_ms, std::int64_t skew_ms) {
    if (request.signature().empty() || request.source_epoch().empty()) {
        return HttpError(HttpErrc::announce_unsigned,
                         "a source announce must carry source_epoch, timestamp_ms and a "
                         "signature by the channel key");
    }
    const auto key = public_key_from_bytes(request.public_key());
    if (!key || request.source_epoch().size() != SourceEpoch{}.size()) {
        return HttpError(HttpErrc::announce_bad_signature, "source_epoch must be 16 bytes");
    }
    if (!verify_source_statement(*key, statement_of(channel, request), request.signature())) {
        return HttpError(HttpErrc::announce_bad_signature,
                         "the signature does not verify under public_key");
    }
    // The timestamp comes from the network: a value beyond int64 is simply stale.
    if (request.timestamp_ms() > static_cast<std::uint64_t>(INT64_MAX) ||
        !within_skew(static_cast<std::int64_t>(request.timestamp_ms()), now_ms, skew_ms)) {
        return HttpError(HttpErrc::announce_stale,
                         "timestamp_ms is " + std::to_string(request.timestamp_ms()) +
                             ", more than " + std::to_string(skew_ms) +
                             " ms from the tracker's clock (" + std::to_string(now_ms) + ")");
    }
    return std::nullopt;
}

}  // namespace p2pls::tracker
