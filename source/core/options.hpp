// Parsing and checking of the source's settings, apart from the command line library so
// that every rule is unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls::source {

// The encoder and chunker settings the source runs with.
struct EncodeSettings {
    std::uint32_t width = 640;
    std::uint32_t height = 360;
    std::uint32_t fps = 25;
    std::uint32_t bitrate_kbps = 500;  // encoder target, kbit/s
    std::uint32_t chunk_ms = 1000;
};

// One-line reason in `why` when a setting is out of range.
Result<void> validate(const EncodeSettings& settings, std::string& why);

// Frames between key frames so that every chunk starts on one: fps x chunk_ms / 1000,
// rounded, at least 1.
std::uint32_t key_interval_frames(const EncodeSettings& settings);

}  // namespace p2pls::source
