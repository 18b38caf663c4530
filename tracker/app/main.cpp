// p2pls-tracker: the channel membership service (DESIGN.md §3, "Tracker").
// Flags override the TOML config file, which overrides the defaults.
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/cli/parse_flags.hpp"
#include "common/core/chunk_signature.hpp"
#include "common/core/registration_proof.hpp"
#include "common/http/tls_context.hpp"
#include "common/net/endpoint.hpp"
#include "common/net/event_loops.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"
#include "common/posix/small_file.hpp"
#include "tracker/http/tracker_service.hpp"

namespace {

namespace asio = boost::asio;
using namespace p2pls;

// Members announce one request at a time over at most 2 connections, so 64 connections
// per address leave room for a machine or a NAT full of them, and keep any one address to
// a sixteenth of the 1024 connections.
http::ServerLimits default_limits() {
    http::ServerLimits limits;
    limits.max_connections_per_client = 64;
    return limits;
}

struct Settings {
    std::string listen = "127.0.0.1:8200";
    std::int64_t interval_s = 5;
    std::uint64_t seed = 0;  // 0 = draw one
    std::string port_file;
    std::string log_level = "info";
    tracker::TrackerConfig tracker;
    http::ServerLimits limits = default_limits();
    std::vector<tracker_api::DecadeServerInfo> decade_servers;
    std::string state_file;  // channel-key bindings, kept across restarts ("" = memory only)
    http::TlsFiles tls;      // both empty = plain HTTP
};

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "p2pls-tracker: %s\n", message.c_str());
    std::exit(2);
}

std::string read_small_file(const std::string& path, const std::string& what) {
    std::string why;
    auto text = posix::read_small_file(path, why);
    if (!text) {
        fail(what + " " + path + ": " + why);
    }
    return std::move(*text);
}

// A registration key file: 64 hex digits (decade-server keygen-style; see README).
RegistrationKey read_registration_key(const std::string& path, const std::string& what) {
    const auto key = parse_registration_key(read_small_file(path, what));
    if (!key) {
        fail(what + " " + path + ": expected 64 hex digits (a 32-byte key)");
    }
    return *key;
}

template <class T>
T integer(const toml::node& node, std::string_view key, std::int64_t lo, std::int64_t hi) {
    const auto v = node.value<std::int64_t>();
    if (!v || *v < lo || *v > hi) {
        fail("config: " + std::string(key) + " must be an integer in " + std::to_string(lo) + ".." +
             std::to_string(hi));
    }
    return static_cast<T>(*v);
}

void load_config(const std::string& path, Settings& s) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        fail("config " + path + ": " + std::string(e.description()));
    }
    for (const auto& [key, node] : root) {
        const std::string_view k = key.str();
        if (k == "listen") {
            const auto v = node.value<std::string>();
            if (!v) {
                fail("config: listen must be a string \"host:port\"");
            }
            s.listen = *v;
        } else if (k == "interval_s") {
            s.interval_s = integer<std::int64_t>(node, k, 1, 3600);
        } else if (k == "seed") {
            s.seed = integer<std::uint64_t>(node, k, 0, INT64_MAX);
        } else if (k == "log_level") {
            s.log_level = node.value<std::string>().value_or("?");
        } else if (k == "default_peers") {
            s.tracker.default_peers = integer<std::uint32_t>(node, k, 1, 1000);
        } else if (k == "max_peers") {
            s.tracker.max_peers = integer<std::uint32_t>(node, k, 1, 1000);
        } else if (k == "max_channels") {
            s.tracker.max_channels = integer<std::size_t>(node, k, 1, 10'000'000);
        } else if (k == "max_members_per_channel") {
            s.tracker.max_members_per_channel = integer<std::size_t>(node, k, 1, 10'000'000);
        } else if (k == "max_members") {
            s.tracker.max_members = integer<std::size_t>(node, k, 1, 100'000'000);
        } else if (k == "max_connections") {
            s.limits.max_connections = integer<std::size_t>(node, k, 1, 1'000'000);
        } else if (k == "max_requests_per_client") {
            s.limits.max_requests_per_client = integer<std::size_t>(node, k, 0, 1'000'000);
        } else if (k == "max_clock_skew_ms") {
            s.tracker.max_clock_skew_ms = integer<std::int64_t>(node, k, 0, 86'400'000);
        } else if (k == "max_bound_channels") {
            s.tracker.max_bound_channels = integer<std::size_t>(node, k, 1, 100'000'000);
        } else if (k == "state_file") {
            const auto v = node.value<std::string>();
            if (!v) {
                fail("config: state_file must be a path");
            }
            s.state_file = *v;
        } else if (k == "registration_key_file") {
            const auto v = node.value<std::string>();
            if (!v) {
                fail("config: registration_key_file must be a path");
            }
            s.tracker.server_credentials.shared_key =
                read_registration_key(*v,
                                      "config: "
                                      "registration_key_file");
        } else if (k == "channel_keys" || k == "decade_server_keys") {
            const bool channels = k == "channel_keys";
            const auto* array = node.as_array();
            if (array == nullptr) {
                fail("config: " + std::string(k) + " must be an array of tables ([[" +
                     std::string(k) + "]])");
            }
            for (const auto& entry : *array) {
                const auto* t = entry.as_table();
                const auto name =
                    t ? (*t)[channels ? "channel" : "url"].value<std::string>() : std::nullopt;
                const auto value =
                    t ? (*t)[channels ? "public_key" : "key_file"].value<std::string>()
                      : std::nullopt;
                if (!name || !value || t->size() != 2) {
                    fail(channels ? "config: each channel_keys entry needs exactly channel and "
                                    "public_key (64 hex digits or base64)"
                                  : "config: each decade_server_keys entry needs exactly url and "
                                    "key_file");
                }
                if (channels) {
                    const auto pinned = parse_public_key_text(*value);
                    if (!pinned) {
                        fail("config: channel_keys: public_key of \"" + *name +
                             "\" is not 64 hex digits or base64 of 32 bytes");
                    }
                    s.tracker.pinned_keys[*name] = *pinned;
                } else {
                    s.tracker.server_credentials.per_server[*name] =
                        read_registration_key(*value, "config: decade_server_keys key_file");
                }
            }
        } else if (k == "max_connections_per_client") {
            s.limits.max_connections_per_client = integer<std::size_t>(node, k, 0, 1'000'000);
        } else if (k == "tls_cert" || k == "tls_key") {
            const auto v = node.value<std::string>();
            if (!v) {
                fail("config: " + std::string(k) + " must be a file name");
            }
            (k == "tls_cert" ? s.tls.cert_file : s.tls.key_file) = *v;
        } else if (k == "decade_servers") {
            const auto* array = node.as_array();
            if (array == nullptr) {
                fail("config: decade_servers must be an array of tables ([[decade_servers]])");
            }
            for (const auto& entry : *array) {
                const auto* t = entry.as_table();
                if (t == nullptr) {
                    fail("config: each decade_servers entry must be a table");
                }
                tracker_api::DecadeServerInfo info;
                for (const auto& [fkey, fnode] : *t) {
                    if (fkey.str() == "url" && fnode.is_string()) {
                        info.set_url(*fnode.value<std::string>());
                    } else if (fkey.str() == "region" && fnode.is_string()) {
                        info.set_region(*fnode.value<std::string>());
                    } else if (fkey.str() == "load" && fnode.is_number()) {
                        info.set_load(*fnode.value<double>());
                    } else {
                        fail("config: decade_servers: unknown key or wrong type: " +
                             std::string(fkey.str()));
                    }
                }
                s.decade_servers.push_back(info);
            }
        } else {
            fail("config: unknown key \"" + std::string(k) + "\"");
        }
    }
}

asio::ip::tcp::endpoint parse_listen(const std::string& text) {
    // Port 0 is refused in announces but means "any free port" for --listen.
    std::string why;
    const auto endpoint = net::parse_tcp_endpoint(text, {.allow_port_zero = true}, why);
    if (!endpoint) {
        fail("--listen \"" + text + "\": " + why);
    }
    return *endpoint;
}

}  // namespace

int main(int argc, char** argv) {
    p2pls::net::route_protobuf_log_to_debug();
    CLI::App app{
        "p2pls-tracker: keeps channel membership for p2pls. Sources announce channels,\n"
        "peers announce themselves and get a random sample of live members; members not\n"
        "heard for 3 intervals are dropped. HTTP API: POST /v1/channels/{ch}/announce,\n"
        "GET /v1/channels, GET /v1/channels/{ch}, POST /v1/decade-servers, GET /metrics."};
    Settings s;
    std::string config_path;
    std::string listen;
    std::int64_t interval_s = 0;
    std::uint64_t seed = 0;
    std::string port_file;
    std::string log_level;
    app.add_option("--config", config_path,
                   "TOML file: listen, interval_s, seed, log_level, default_peers, max_peers, "
                   "max_channels, max_members_per_channel, max_members, max_connections, "
                   "max_requests_per_client, max_connections_per_client, tls_cert, tls_key, "
                   "max_clock_skew_ms, max_bound_channels, state_file, "
                   "registration_key_file, [[channel_keys]] channel/public_key, "
                   "[[decade_server_keys]] url/key_file, [[decade_servers]] url/region/load")
        ->check(CLI::ExistingFile);
    auto* listen_opt = app.add_option("--listen", listen,
                                      "address:port to serve on (default 127.0.0.1:8200; "
                                      "port 0 picks a free port)");
    auto* interval_opt = app.add_option("--interval", interval_s,
                                        "announce interval told to members, seconds (default 5)")
                             ->check(CLI::Range(1, 3600));
    auto* seed_opt =
        app.add_option("--seed", seed, "seed of the peer-sampling RNG (default: drawn at start)");
    app.add_option("--port-file", port_file,
                   "write the bound port to this file once listening (for tests with port 0)");
    std::string state_file;
    auto* state_opt = app.add_option(
        "--state-file", state_file,
        "keep the channel-to-key bindings (first key that claimed each channel) in FILE, "
        "loaded at start and rewritten atomically when a channel is bound (default: memory "
        "only)");
    std::string registration_key_path;
    app.add_option("--registration-key", registration_key_path,
                   "file with the shared DECADE server registration key (64 hex digits); "
                   "servers prove it with an HMAC (decade-server --tracker-key). Without it "
                   "(or per-server keys in --config) no server can register over the API")
        ->check(CLI::ExistingFile);
    auto* log_opt =
        app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default info)");
    http::TlsFiles tls;
    auto* cert_opt = app.add_option("--tls-cert", tls.cert_file,
                                    "serve HTTPS with this PEM certificate chain (with --tls-key)")
                         ->check(CLI::ExistingFile);
    auto* key_opt = app.add_option("--tls-key", tls.key_file, "PEM private key of --tls-cert")
                        ->check(CLI::ExistingFile);
    std::size_t max_connections_per_client = 0;
    auto* per_client_opt =
        app.add_option("--max-connections-per-client", max_connections_per_client,
                       "open connections one address may hold (default 64; 0 = no cap)");
    std::size_t threads = std::max(1U, std::thread::hardware_concurrency());
    app.add_option("--threads", threads,
                   "event loops, one thread each, taking the connections in turn; the "
                   "connection caps hold across them (default: the number of cores)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    if (const auto code = cli::parse_flags(app, argc, argv, "p2pls-tracker")) {
        return *code;
    }

    if (!config_path.empty()) {
        load_config(config_path, s);
    }
    if (listen_opt->count() > 0) {
        s.listen = listen;
    }
    if (interval_opt->count() > 0) {
        s.interval_s = interval_s;
    }
    if (seed_opt->count() > 0) {
        s.seed = seed;
    }
    if (log_opt->count() > 0) {
        s.log_level = log_level;
    }
    if (cert_opt->count() > 0) {
        s.tls.cert_file = tls.cert_file;
    }
    if (key_opt->count() > 0) {
        s.tls.key_file = tls.key_file;
    }
    if (per_client_opt->count() > 0) {
        s.limits.max_connections_per_client = max_connections_per_client;
    }
    if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
        fail("--tls-cert and --tls-key go together");
    }
    std::shared_ptr<asio::ssl::context> tls_context;
    if (!s.tls.cert_file.empty()) {
        try {
            tls_context = http::make_server_tls_context(s.tls);
        } catch (const std::exception& e) {
            fail(e.what());
        }
    }
    s.port_file = port_file;
    if (state_opt->count() > 0) {
        s.state_file = state_file;
    }
    if (!registration_key_path.empty()) {
        s.tracker.server_credentials.shared_key =
            read_registration_key(registration_key_path, "--registration-key");
    }
    const auto level = spdlog::level::from_str(s.log_level);
    if (level == spdlog::level::off && s.log_level != "off") {
        fail("unknown log level \"" + s.log_level + "\"");
    }
    spdlog::set_level(level);
    if (s.tracker.max_peers < s.tracker.default_peers) {
        fail("config: max_peers must be at least default_peers");
    }
    s.tracker.interval = std::chrono::seconds(s.interval_s);
    if (s.seed == 0) {
        s.seed =
            (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }
    const auto endpoint = parse_listen(s.listen);

    // One event loop per thread; the home loop also runs the sweep and the signals.
    net::EventLoops event_loops(threads);
    const auto& loops = event_loops.loops();
    asio::io_context& io = event_loops.home();
    std::optional<tracker::TrackerService> service;
    try {
        service.emplace(loops, endpoint, s.tracker, s.seed, s.limits, tls_context);
    } catch (const std::exception& e) {
        fail("cannot listen on " + s.listen + ": " + e.what());
    }
    for (const auto& server : s.decade_servers) {
        if (auto r = service->state().register_decade_server(server, TimePoint{},
                                                             /*permanent=*/true);
            !r) {
            fail("config: decade_servers: " + r.error().detail);
        }
    }
    if (!s.state_file.empty()) {
        auto& keys = service->state().channel_keys();
        if (std::filesystem::exists(s.state_file)) {
            if (auto why = keys.load(read_small_file(s.state_file, "state file"))) {
                fail("state file " + s.state_file + ": " + *why);
            }
            spdlog::info("state file {}: {} channel keys", s.state_file, keys.bindings());
        }
        service->on_bindings_changed([path = s.state_file](const std::string& text) {
            if (!posix::write_file_atomically(path, text)) {
                spdlog::error("cannot write state file {}: the binding is kept in memory", path);
            }
        });
    }
    const auto bound = service->local_endpoint();
    if (!s.port_file.empty()) {
        if (!posix::write_port_file(s.port_file, bound.port())) {
            fail("cannot write --port-file " + s.port_file);
        }
    }
    service->start();
    spdlog::info(
        "p2pls-tracker listening on {}://{}:{} (interval {} s, {} DECADE servers, {} threads)",
        tls_context ? "https" : "http", bound.address().to_string(), bound.port(), s.interval_s,
        s.decade_servers.size(), threads);

    net::StopSignals signals(io, [&](int signal) {
        spdlog::info("signal {}: stopping", signal);
        service->stop();
        event_loops.stop();
    });
    event_loops.run();
    spdlog::info("p2pls-tracker stopped");
    return 0;
}
