#include "tracker/core/channel_keys.hpp"

#include "common/core/base64.hpp"
#include "tracker/core/validate.hpp"

namespace p2pls::tracker {
namespace {

constexpr std::string_view kHeader = "p2pls-tracker channel keys v1";

std::string_view key_bytes(const PublicKey& key) {
    return {reinterpret_cast<const char*>(key.data()), key.size()};
}

}  // namespace

void ChannelKeys::pin(std::string channel, const PublicKey& key) {
    pins_[std::move(channel)] = key;
}

std::optional<PublicKey> ChannelKeys::key_of(std::string_view channel) const {
    if (const auto it = pins_.find(channel); it != pins_.end()) {
        return it->second;
    }
    if (const auto it = bindings_.find(channel); it != bindings_.end()) {
        return it->second;
    }
    return std::nullopt;
}

bool ChannelKeys::pinned(std::string_view channel) const {
    return pins_.find(channel) != pins_.end();
}

void ChannelKeys::bind(std::string_view channel, const PublicKey& key) {
    if (pinned(channel) || bindings_.find(channel) != bindings_.end()) {
        return;
    }
    bindings_.emplace(std::string(channel), key);
    changed_ = true;
}

std::int64_t ChannelKeys::last_timestamp_ms(std::string_view channel) const {
    const auto it = last_ts_.find(channel);
    return it == last_ts_.end() ? 0 : it->second;
}

void ChannelKeys::set_last_timestamp_ms(std::string_view channel, std::int64_t timestamp_ms) {
    // Only channels with a key get here, so this map is as bounded as the bindings.
    if (auto it = last_ts_.find(channel); it != last_ts_.end()) {
        it->second = timestamp_ms;
    } else {
        last_ts_.emplace(std::string(channel), timestamp_ms);
    }
}

std::string ChannelKeys::serialize() const {
    std::string out(kHeader);
    out += '\n';
    for (const auto& [channel, key] : bindings_) {
        out += channel;
        out += ' ';
        append_base64(out, key_bytes(key), Base64::standard);
        out += '\n';
    }
    return out;
}

std::optional<std::string> ChannelKeys::load(std::string_view text) {
    std::map<std::string, PublicKey, std::less<>> loaded;
    std::size_t line_no = 0;
    bool header = false;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        const std::string where = "line " + std::to_string(line_no) + ": ";
        if (!header) {
            if (line != kHeader) {
                return where + "expected \"" + std::string(kHeader) + "\"";
            }
            header = true;
            continue;
        }
        if (line.empty()) {
            continue;
        }
        const auto space = line.find(' ');
        if (space == std::string_view::npos) {
            return where + "expected \"<channel> <base64 key>\"";
        }
        const std::string_view channel = line.substr(0, space);
        if (check_channel_name(channel)) {
            return where + "bad channel name";
        }
        const auto bytes = base64_decode(line.substr(space + 1), Base64::standard);
        const auto key = bytes ? public_key_from_bytes(*bytes)
                               : Result<PublicKey>(make_error_code(Errc::key_invalid));
        if (!key) {
            return where + "the key is not 32 bytes of base64";
        }
        loaded[std::string(channel)] = *key;
    }
    if (!header) {
        return "empty file (no header line)";
    }
    if (bindings_.size() + loaded.size() > max_bindings_) {
        return "more bindings than the tracker's cap";
    }
    for (auto& [channel, key] : loaded) {
        bindings_.emplace(channel, key);
    }
    return std::nullopt;
}

}  // namespace p2pls::tracker
