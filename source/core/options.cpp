#include "source/core/options.hpp"

namespace p2pls::source {

Result<void> validate(const EncodeSettings& s, std::string& why) {
    auto fail = [&](std::string reason) -> Result<void> {
        why = std::move(reason);
        return make_error_code(Errc::config_invalid);
    };
    if (s.width < 16 || s.width > 7680 || s.width % 2 != 0) {
        return fail("--width must be an even number between 16 and 7680");
    }
    if (s.height < 16 || s.height > 4320 || s.height % 2 != 0) {
        return fail("--height must be an even number between 16 and 4320");
    }
    if (s.fps < 1 || s.fps > 120) {
        return fail("--fps must be between 1 and 120");
    }
    if (s.bitrate_kbps < 16 || s.bitrate_kbps > 100'000) {
        return fail("--bitrate must be between 16 and 100000 kbit/s");
    }
    if (s.chunk_ms < 100 || s.chunk_ms > 10'000) {
        return fail("--chunk-ms must be between 100 and 10000");
    }
    return {};
}

std::uint32_t key_interval_frames(const EncodeSettings& s) {
    const auto frames = (static_cast<std::uint64_t>(s.fps) * s.chunk_ms + 500) / 1000;
    return static_cast<std::uint32_t>(frames < 1 ? 1 : frames);
}

}  // namespace p2pls::source
