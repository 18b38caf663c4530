#include "peer/core/channel_trust.hpp"

namespace p2pls::peer {

std::string short_hex(const unsigned char* bytes, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n && i < 8; ++i) {
        out.push_back(kDigits[bytes[i] >> 4]);
        out.push_back(kDigits[bytes[i] & 0x0f]);
    }
    return out;
}

ChannelTrust::ChannelTrust(std::string channel, std::optional<PublicKey> pinned)
    : channel_(std::move(channel)), pinned_(pinned) {}

ChannelTrust::Verdict ChannelTrust::on_channel_info(const tracker_api::ChannelInfo& info,
                                                    std::string& why) {
    const auto key = public_key_from_bytes(info.public_key());
    const auto epoch = source_epoch_from_bytes(info.source_epoch());
    if (!key || !epoch || info.source_signature().empty()) {
        why = "the tracker reports no signed channel key yet";
        return Verdict::no_key_yet;
    }
    if (pinned_ && *key != *pinned_) {
        why = "the tracker reports key " + short_hex(key->data(), key->size()) +
              "..., not the pinned " + short_hex(pinned_->data(), pinned_->size()) + "...";
        return Verdict::refused_pin;
    }
    if (key_ && *key != *key_) {
        why = "the tracker now reports key " + short_hex(key->data(), key->size()) +
              "..., but this session started with " + short_hex(key_->data(), key_->size()) +
              "...; keeping it";
        return Verdict::refused_change;
    }
    SourceStatement s;
    s.kind = SourceStatementKind::announce;
    s.channel = channel_;
    s.peer_id = info.source_peer_id();
    s.endpoint = info.source_signed_endpoint();
    s.epoch = *epoch;
    s.live_edge = info.live_edge();
    s.timestamp_ms = static_cast<std::int64_t>(info.source_timestamp_ms());
    if (!verify_source_statement(*key, s, info.source_signature())) {
        why = "the source statement relayed by the tracker does not verify under its key";
        return Verdict::refused_forgery;
    }
    if (!key_) {
        key_ = *key;
        epoch_ = *epoch;
        timestamp_ms_ = info.source_timestamp_ms();
        return Verdict::accepted;
    }
    if (info.source_timestamp_ms() <= timestamp_ms_) {
        return Verdict::unchanged;  // the same statement again, or an older one
    }
    timestamp_ms_ = info.source_timestamp_ms();
    if (*epoch == epoch_) {
        return Verdict::unchanged;
    }
    epoch_ = *epoch;
    return Verdict::new_epoch;
}

}  // namespace p2pls::peer
