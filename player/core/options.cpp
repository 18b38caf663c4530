#include "player/core/options.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "common/core/byte_rate.hpp"
#include "common/core/host_port.hpp"

namespace p2pls::player {

namespace {

Result<double> parse_number(std::string_view text) {
    double value = 0;
    // from_chars for double is in libstdc++ 11+; it rejects leading '+' and spaces.
    const auto* first = text.data();
    const auto* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc{} || ptr != last || !std::isfinite(value)) {
        return Errc::bad_request;
    }
    return value;
}

}  // namespace

Result<SinkSpec> parse_sink(std::string_view text, std::string& why) {
    if (text == "auto") {
        return SinkSpec{.kind = SinkKind::automatic};
    }
    if (text == "fake") {
        return SinkSpec{.kind = SinkKind::fake};
    }
    if (text == "window") {
        return SinkSpec{.kind = SinkKind::window};
    }
    constexpr std::string_view kFile = "file:";
    if (text.starts_with(kFile)) {
        const auto path = text.substr(kFile.size());
        if (path.empty()) {
            why = "--sink file:PATH needs a path after 'file:'";
            return Errc::config_invalid;
        }
        return SinkSpec{.kind = SinkKind::file, .path = std::string(path)};
    }
    why = "--sink must be one of fake, auto, window, file:PATH (got '" + std::string(text) + "')";
    return Errc::config_invalid;
}

Result<PlayerMode> parse_mode(std::string_view text, std::string& why) {
    if (text == "native") {
        return PlayerMode::native;
    }
    if (text == "decade") {
        return PlayerMode::decade;
    }
    why = "--mode must be native or decade (got '" + std::string(text) + "')";
    return Errc::config_invalid;
}

Result<std::uint64_t> parse_rate_bytes_per_s(std::string_view text, std::string& why) {
    const auto rate = parse_byte_rate(text);
    if (!rate) {
        why = "--upload-limit must be a rate in " + std::string(kByteRateHelp) + " (got '" +
              std::string(text) + "')";
        return Errc::config_invalid;
    }
    return *rate;
}

Result<std::chrono::milliseconds> parse_seconds(std::string_view text, double min_s,
                                                std::string& why) {
    const auto value = parse_number(text);
    if (!value || *value < min_s || *value > 86'400) {
        why = "expected seconds between " + std::to_string(min_s) + " and 86400 (got '" +
              std::string(text) + "')";
        return Errc::config_invalid;
    }
    return std::chrono::milliseconds(std::llround(*value * 1000));
}

bool valid_channel_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> validate(const PlayerOptions& options) {
    const auto& url = options.tracker_url;
    if (!(url.starts_with("http://") || url.starts_with("https://")) ||
        url.find_first_of(" \t\r\n") != std::string::npos) {
        return "--tracker must be an http:// or https:// URL (got '" + url + "')";
    }
    const auto host_start = url.find("://") + 3;
    if (host_start >= url.size() || url[host_start] == '/' || url[host_start] == ':') {
        return "--tracker URL has no host (got '" + url + "')";
    }
    if (!valid_channel_name(options.channel)) {
        return "--channel must be 1-64 characters of A-Z a-z 0-9 . _ - (got '" + options.channel +
               "')";
    }
    if (std::string why; !parse_host_port(options.listen, {.allow_port_zero = true}, why)) {
        return "--listen must be HOST:PORT (got '" + options.listen + "')";
    }
    if (options.http_bind.empty()) {
        return "--http-bind must be an address";
    }
    if (options.sink.kind == SinkKind::file && options.sink.path.empty()) {
        return "--sink file:PATH needs a path";
    }
    if (options.join_timeout.count() <= 0) {
        return "--join-timeout must be positive";
    }
    if (options.duration.count() < 0) {
        return "--duration must not be negative";
    }
    return std::nullopt;
}

SinkSpec resolve_sink(const SinkSpec& requested, bool has_display) {
    if (requested.kind != SinkKind::automatic) {
        return requested;
    }
    return SinkSpec{.kind = has_display ? SinkKind::window : SinkKind::fake};
}

std::optional<std::string> check_sink(const SinkSpec& sink, bool has_display) {
    if (sink.kind == SinkKind::window && !has_display) {
        return "--sink window needs a display (DISPLAY or WAYLAND_DISPLAY is unset); use "
               "--sink fake to play headless or --http-out to watch in another player";
    }
    return std::nullopt;
}

std::string_view to_string(PlayerMode mode) {
    return mode == PlayerMode::decade ? "decade" : "native";
}

std::string_view to_string(SinkKind kind) {
    switch (kind) {
        case SinkKind::automatic:
            return "auto";
        case SinkKind::fake:
            return "fake";
        case SinkKind::window:
            return "window";
        case SinkKind::file:
            return "file";
    }
    return "?";
}

}  // namespace p2pls::player
