// p2pls-portal: the DECADE Portal of the file distribution platform (the draft's §6.1).
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include "common/cli/parse_flags.hpp"
#include "common/net/endpoint.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"
#include "common/posix/small_file.hpp"
#include "portal/http/portal_service.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace p2pls;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "p2pls-portal: %s\n", message.c_str());
    std::exit(2);
}

std::string read_text(const fs::path& path, const std::string& what) {
    std::string why;
    auto text = posix::read_small_file(path, why);
    if (!text) {
        fail(what + " " + path.string() + ": " + why);
    }
    return std::move(*text);
}

// 32 bytes as 64 hex digits (decade-server's secret files, the portal's key file).
template <std::size_t N>
std::array<unsigned char, N> read_key(const fs::path& path, const std::string& what) {
    std::string text = read_text(path, what);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    std::array<unsigned char, N> key{};
    std::size_t len = 0;
    if (text.size() != 2 * N ||
        sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &len, nullptr) !=
            0 ||
        len != N) {
        fail(what + " " + path.string() + ": expected " + std::to_string(2 * N) + " hex digits");
    }
    return key;
}

struct Settings {
    std::string listen = "127.0.0.1:8600";
    portal::PortalConfig portal;
    fs::path publishers_file;
    fs::path catalog_file;
    fs::path key_file;
};

std::string text_of(const toml::node& node, const std::string& key) {
    const auto v = node.value<std::string>();
    if (!v) {
        fail("config: " + key + " must be a string");
    }
    return *v;
}

std::int64_t integer_of(const toml::node& node, const std::string& key, std::int64_t lo,
                        std::int64_t hi) {
    const auto v = node.value<std::int64_t>();
    if (!v || *v < lo || *v > hi) {
        fail("config: " + key + " must be an integer in " + std::to_string(lo) + ".." +
             std::to_string(hi));
    }
    return *v;
}

// Relative paths in the config are relative to the config file.
Settings load_config(const fs::path& path) {
    Settings s;
    toml::table root;
    try {
        root = toml::parse(read_text(path, "config"));
    } catch (const toml::parse_error& e) {
        fail("config " + path.string() + ": line " + std::to_string(e.source().begin.line) + ": " +
             std::string(e.description()));
    }
    const fs::path base = path.parent_path();
    const auto rel = [&](const std::string& p) {
        return fs::path(p).is_absolute() ? fs::path(p) : base / p;
    };
    for (const auto& [key, node] : root) {
        const std::string k(key.str());
        if (k == "listen") {
            s.listen = text_of(node, k);
        } else if (k == "public_url") {
            s.portal.public_url = text_of(node, k);
        } else if (k == "alto_url") {
            s.portal.alto_url = text_of(node, k);
        } else if (k == "replication") {
            s.portal.replication = static_cast<std::size_t>(integer_of(node, k, 1, 16));
        } else if (k == "slice_bytes") {
            s.portal.slice_bytes = static_cast<std::size_t>(
                integer_of(node, k, portal::kMinSliceBytes, portal::kMaxSliceBytes));
        } else if (k == "max_file_bytes") {
            s.portal.max_file_bytes =
                static_cast<std::uint64_t>(integer_of(node, k, 1, std::int64_t{1} << 50));
        } else if (k == "object_ttl_s") {
            s.portal.object_ttl_s = static_cast<std::uint32_t>(integer_of(node, k, 4, 1 << 30));
        } else if (k == "publishers_file") {
            s.publishers_file = rel(text_of(node, k));
        } else if (k == "catalog_file") {
            s.catalog_file = rel(text_of(node, k));
        } else if (k == "key_file") {
            s.key_file = rel(text_of(node, k));
        } else if (k == "zones") {
            const auto* list = node.as_array();
            if (list == nullptr) {
                fail("config: zones must be an array of tables ([[zones]])");
            }
            for (const auto& item : *list) {
                const auto* t = item.as_table();
                if (t == nullptr) {
                    fail("config: each [[zones]] is a table");
                }
                portal::Zone z;
                fs::path secret;
                for (const auto& [zk, zv] : *t) {
                    const std::string name(zk.str());
                    if (name == "name") {
                        z.name = text_of(zv, "zones.name");
                    } else if (name == "url") {
                        z.url = text_of(zv, "zones.url");
                    } else if (name == "address") {
                        z.address = text_of(zv, "zones.address");
                    } else if (name == "locker") {
                        z.locker = text_of(zv, "zones.locker");
                    } else if (name == "secret_file") {
                        secret = rel(text_of(zv, "zones.secret_file"));
                    } else {
                        fail("config: zones: unknown key \"" + name +
                             "\" (expected name, url, address, locker, secret_file)");
                    }
                }
                if (z.name.empty() || z.url.empty() || z.locker.empty() || secret.empty()) {
                    fail("config: each zone needs name, url, locker and secret_file");
                }
                z.secret = read_key<32>(secret, "zone " + z.name + " secret_file");
                s.portal.zones.push_back(std::move(z));
            }
        } else {
            fail("config: unknown key \"" + k +
                 "\" (expected listen, public_url, alto_url, replication, slice_bytes, "
                 "max_file_bytes, object_ttl_s, publishers_file, catalog_file, key_file, "
                 "[[zones]])");
        }
    }
    if (s.portal.zones.empty()) {
        fail("config: no [[zones]]: the portal stores files on DECADE servers");
    }
    if (s.publishers_file.empty() || s.catalog_file.empty() || s.key_file.empty()) {
        fail("config: publishers_file, catalog_file and key_file are needed");
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    net::route_protobuf_log_to_debug();
    if (sodium_init() < 0) {
        fail("libsodium failed to initialise");
    }
    CLI::App app{
        "p2pls-portal: the DECADE Portal (draft-ietf-decade-integration-example §6).\n"
        "Publishers upload files (PUT /v1/files/NAME with their API key); the portal cuts\n"
        "them into slices stored on the DECADE server zones and mints download links\n"
        "(POST /v1/files/NAME/links). A link answers a manifest, JSON or Metalink v4\n"
        "(?format=metalink, for aria2), listing each slice's servers ranked by ALTO for\n"
        "the user's address. See portal/README.md."};
    std::string config_path;
    std::string port_file;
    std::string listen;
    std::string log_level = "info";
    app.add_option("--config", config_path,
                   "TOML file: listen, public_url, alto_url, replication, slice_bytes, "
                   "max_file_bytes, object_ttl_s, publishers_file, catalog_file, key_file, "
                   "[[zones]] name/url/address/locker/secret_file")
        ->required()
        ->check(CLI::ExistingFile);
    auto* listen_opt = app.add_option("--listen", listen, "address:port (overrides the config)");
    app.add_option("--port-file", port_file, "write the bound port here once listening");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->capture_default_str();
    if (const auto code = cli::parse_flags(app, argc, argv, "p2pls-portal")) {
        return *code;
    }
    if (!cli::set_log_level(log_level, "p2pls-portal")) {
        return 2;
    }
    Settings s = load_config(config_path);
    if (listen_opt->count() > 0) {
        s.listen = listen;
    }
    if (!fs::exists(s.key_file)) {
        // A new portal: a key of its own for signing links, kept across restarts.
        portal::PortalKey key{};
        crypto_auth_keygen(key.data());
        std::array<char, sizeof key * 2 + 1> hex{};
        sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
        if (!posix::write_file_atomically(s.key_file, std::string(hex.data()) + "\n")) {
            fail("cannot write key_file " + s.key_file.string());
        }
    }
    s.portal.key = read_key<crypto_auth_KEYBYTES>(s.key_file, "key_file");
    auto publishers = portal::Publishers::parse(read_text(s.publishers_file, "publishers_file"));
    if (auto* why = std::get_if<std::string>(&publishers)) {
        fail("publishers_file " + s.publishers_file.string() + ": " + *why);
    }
    portal::Catalog catalog;
    if (fs::exists(s.catalog_file)) {
        auto parsed = portal::Catalog::parse(read_text(s.catalog_file, "catalog_file"));
        if (auto* why = std::get_if<std::string>(&parsed)) {
            fail("catalog_file " + s.catalog_file.string() + ": " + *why);
        }
        catalog = std::move(std::get<portal::Catalog>(parsed));
    }
    std::string why;
    const auto endpoint = net::parse_tcp_endpoint(s.listen, {.allow_port_zero = true}, why);
    if (!endpoint) {
        fail("listen \"" + s.listen + "\": " + why);
    }

    asio::io_context io;
    std::optional<portal::PortalService> service;
    try {
        service.emplace(io, *endpoint, s.portal,
                        std::move(std::get<portal::Publishers>(publishers)), std::move(catalog));
    } catch (const std::exception& e) {
        fail("cannot listen on " + s.listen + ": " + e.what());
    }
    service->on_catalog_changed([path = s.catalog_file](const std::string& text) {
        if (!posix::write_file_atomically(path, text)) {
            spdlog::error("cannot write catalog_file {}", path.string());
            return false;
        }
        return true;
    });
    const auto bound = service->local_endpoint();
    if (!port_file.empty() && !posix::write_port_file(port_file, bound.port())) {
        fail("cannot write --port-file " + port_file);
    }
    service->start();
    spdlog::info("p2pls-portal listening on http://{}:{} ({} zones, {} files, ALTO {})",
                 bound.address().to_string(), bound.port(), s.portal.zones.size(),
                 service->catalog().size(), s.portal.alto_url.empty() ? "none" : s.portal.alto_url);
    net::StopSignals signals(io, [&](int signal) {
        spdlog::info("signal {}: stopping", signal);
        service->stop();
        io.stop();
    });
    io.run();
    spdlog::info("p2pls-portal stopped");
    return 0;
}
