// The player's command line, checked without I/O: every flag of `p2pls-player` as a value,
// and the rules that turn a bad value into one readable sentence (DESIGN.md §1: a clear
// one-line error and a non-zero exit on bad flags).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls::player {

// Where decoded video goes.
enum class SinkKind {
    automatic,  // a window when a display exists, else headless (the default)
    fake,       // headless: decode and count frames, show nothing
    window,     // a window (autovideosink); chosen by `automatic` when a display exists
    file,       // headless decode, plus the received MPEG-TS recorded to a file
};

struct SinkSpec {
    SinkKind kind = SinkKind::automatic;
    std::string path{};  // SinkKind::file only
};

enum class PlayerMode { native, decade };

struct PlayerOptions {
    std::string tracker_url = "http://127.0.0.1:8200";
    // CA certificates (PEM) that https:// trackers and DECADE servers must chain to; empty:
    // the system's.
    std::string ca_file;
    std::string channel = "live";
    PlayerMode mode = PlayerMode::native;
    SinkSpec sink{};
    std::optional<std::uint16_t> http_out_port{};  // --http-out PORT (0 = any free port)
    std::string http_bind = "127.0.0.1";
    // Where the web player page's files are (web/: index.html, player.js, and hls.js as
    // npm installs it). p2pls-player's default is this source tree's web/.
    std::string web_root;
    std::string report_path{};                       // --report FILE ("" = none)
    std::chrono::milliseconds join_timeout{15'000};  // give up joining after this
    std::chrono::milliseconds duration{0};           // 0 = play until stopped
    std::string listen = "127.0.0.1:0";              // the embedded peer's listener
    std::uint64_t upload_limit_bytes_per_s = 0;      // 0 = unlimited
};

// "fake" | "auto" | "window" | "file:PATH". Errors name the accepted forms.
Result<SinkSpec> parse_sink(std::string_view text, std::string& why);

// "native" | "decade".
Result<PlayerMode> parse_mode(std::string_view text, std::string& why);

// --upload-limit: a byte rate (common/core/byte_rate.hpp); "0" = unlimited. `why` says
// what the flag accepts.
Result<std::uint64_t> parse_rate_bytes_per_s(std::string_view text, std::string& why);

// Seconds as a decimal ("2.5"), at least `min_s`, at most one day.
Result<std::chrono::milliseconds> parse_seconds(std::string_view text, double min_s,
                                                std::string& why);

// Channel names the tracker accepts: 1..64 of [A-Za-z0-9._-].
bool valid_channel_name(std::string_view name);

// Whole-options check (URL scheme, channel, listen, sink path): nothing when fine, else
// the sentence to print.
[[nodiscard]] std::optional<std::string> validate(const PlayerOptions& options);

// Resolves `automatic` given whether a display exists (DISPLAY / WAYLAND_DISPLAY set):
// window with a display, fake without. Other kinds are returned unchanged.
SinkSpec resolve_sink(const SinkSpec& requested, bool has_display);

// A window needs a display: nothing when `sink` can run here, else the sentence to print.
[[nodiscard]] std::optional<std::string> check_sink(const SinkSpec& sink, bool has_display);

std::string_view to_string(PlayerMode mode);
std::string_view to_string(SinkKind kind);

}  // namespace p2pls::player
