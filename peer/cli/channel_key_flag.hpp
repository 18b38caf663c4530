// --channel-key, shared by p2pls-peer and p2pls-player: pins the channel's Ed25519 public
// key, so that a tracker reporting another key is refused (peer/core/channel_trust.hpp).
// The value is the key itself, as 64 hex digits (what p2pls-source logs and writes to
// its --record folder's public_key.hex) or base64 (as the tracker's JSON shows it), or
// the path of a file holding either.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "common/core/chunk_signature.hpp"
#include "peer/net/peer_node.hpp"

namespace p2pls::cli {

inline void add_channel_key_flag(CLI::App& app, std::string& value) {
    app.add_option("--channel-key", value,
                   "Pin the channel's public key: 64 hex digits or base64 (as p2pls-source "
                   "logs it), or a file holding it (e.g. the source's --record "
                   "public_key.hex). A tracker reporting another key is refused");
}

// Fills config.pinned_key; returns an error message for a bad value.
inline std::optional<std::string> apply_channel_key_flag(const std::string& value,
                                                         net::PeerNodeConfig& config) {
    if (value.empty()) {
        return std::nullopt;
    }
    std::string text = value;
    std::error_code ec;
    if (std::filesystem::is_regular_file(value, ec)) {
        std::ifstream in(value);
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str().substr(0, 4096);
    }
    const auto key = parse_public_key_text(text);
    if (!key) {
        return "--channel-key: expected 64 hex digits, base64 of 32 bytes, or a file holding "
               "either: " +
               value.substr(0, 80);
    }
    config.pinned_key = *key;
    return std::nullopt;
}

}  // namespace p2pls::cli
