// Command-line flags of DECADE mode, shared by p2pls-peer, p2pls-player and p2pls-source:
//   --mode native|decade   --decade-server URL   --locker ID --locker-secret-file F
//   --object-chunks k      --decade-slots m      --decade-local-address A
//   --decade-operator-key-file F                 --require-decade
//   --ca-file F (the CA that https:// trackers and DECADE servers chain to, either mode)
// Header-only so that each executable's CLI11 setup stays in its main.cpp. CLI11 parsing,
// not Asio: it lives in cli/, apart from the net/ driver whose config it fills.
#pragma once

#include <CLI/CLI.hpp>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "peer/net/peer_node.hpp"

namespace p2pls::cli {

using net::PeerNodeConfig;

struct DecadeFlags {
    std::string mode = "native";
    std::string server;
    std::string locker;
    std::string secret_file;
    std::string operator_key_file;
    std::string local_address;
    std::string ca_file;
    std::uint32_t object_chunks = 1;
    std::uint32_t slots = 4;
    bool require_decade = false;
};

// `with_mode`: false when the executable has its own --mode (then set f.mode yourself).
inline void add_decade_flags(CLI::App& app, DecadeFlags& f, bool with_mode = true) {
    if (with_mode) {
        app.add_option("--mode", f.mode,
                       "native: media on the peer's own connections; decade: through DECADE "
                       "servers (the peer uploads no media)")
            ->check(CLI::IsMember({"native", "decade"}))
            ->capture_default_str();
    }
    app.add_option("--decade-server", f.server,
                   "DECADE mode: home server base URL (default: the tracker's nearest)");
    app.add_option("--locker", f.locker,
                   "DECADE mode: locker id on the home server (default: register one)");
    app.add_option("--locker-secret-file", f.secret_file,
                   "DECADE mode: file with the locker's secret (64 hex characters)");
    app.add_option("--decade-operator-key-file", f.operator_key_file,
                   "DECADE mode: file with the server's operator key (to register a locker)");
    app.add_option("--decade-local-address", f.local_address,
                   "DECADE mode: source address of connections to DECADE servers");
    app.add_option("--object-chunks", f.object_chunks, "DECADE mode: k, chunks per stored object")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--decade-slots", f.slots,
                   "DECADE mode: m, concurrent requests to the home server")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--ca-file", f.ca_file,
                   "PEM CA certificates that https:// trackers and DECADE servers must chain "
                   "to (default: the system's)")
        ->check(CLI::ExistingFile);
    app.add_flag("--require-decade", f.require_decade,
                 "DECADE mode: exit with an error when no DECADE storage can be had, instead "
                 "of playing natively (and uploading media)");
}

namespace detail {
inline std::optional<std::string> read_trimmed(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.pop_back();
    }
    return s;
}
}  // namespace detail

// Fills the DECADE part of `config`; returns an error message for bad flags.
inline std::optional<std::string> apply_decade_flags(const DecadeFlags& f, PeerNodeConfig& config) {
    config.ca_file = f.ca_file;
    if (f.mode != "decade") {
        if (!f.server.empty() || !f.locker.empty() || f.require_decade) {
            return "--decade-server / --locker / --require-decade need --mode decade";
        }
        return std::nullopt;
    }
    auto& d = config.engine.decade;
    d.enabled = true;
    d.server = f.server;
    d.object_chunks = f.object_chunks;
    d.slots = f.slots;
    config.decade_local_address = f.local_address;
    config.require_decade = f.require_decade;
    if (!f.locker.empty() || !f.secret_file.empty()) {
        if (f.locker.empty() || f.secret_file.empty()) {
            return "--locker and --locker-secret-file go together";
        }
        const auto hex = detail::read_trimmed(f.secret_file);
        if (!hex || hex->size() != 64) {
            return "cannot read a 64-hex-character secret from " + f.secret_file;
        }
        for (std::size_t i = 0; i < 32; ++i) {
            const auto nib = [](char c) -> int {
                if (c >= '0' && c <= '9') {
                    return c - '0';
                }
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            };
            const int hi = nib((*hex)[2 * i]), lo = nib((*hex)[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                return "the secret in " + f.secret_file + " is not hex";
            }
            d.secret[i] = static_cast<unsigned char>(hi * 16 + lo);
        }
        d.locker = f.locker;
    }
    if (!f.operator_key_file.empty()) {
        const auto key = detail::read_trimmed(f.operator_key_file);
        if (!key || key->empty()) {
            return "cannot read the operator key from " + f.operator_key_file;
        }
        config.decade_operator_key = *key;
    }
    return std::nullopt;
}

}  // namespace p2pls::cli
