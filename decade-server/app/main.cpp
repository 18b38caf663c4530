// decade-server: in-network storage for p2pls (DESIGN.md §3, "DECADE").
// `decade-server [flags]` serves the DECADE API; `decade-server token ...` mints a token.
#include <malloc.h>
#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/cli/link_delay_flags.hpp"
#include "common/cli/parse_flags.hpp"
#include "common/core/proto_json.hpp"
#include "common/http/tls_context.hpp"
#include "common/net/endpoint.hpp"
#include "common/net/event_loops.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"
#include "common/posix/small_file.hpp"
#include "decade-module/core/object_name.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/http/decade_service.hpp"
#include "decade-server/store/dir_store.hpp"
#include "decade-server/store/memory_store.hpp"
#include "p2pls/decade.pb.h"
#include "tracker/curl/tracker_client.hpp"

namespace {

namespace asio = boost::asio;
using namespace p2pls;
using namespace p2pls::decade_server;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "decade-server: %s\n", message.c_str());
    std::exit(2);
}

std::optional<decade::LockerSecret> secret_from_hex(std::string_view hex) {
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) {
        hex.remove_suffix(1);
    }
    decade::LockerSecret secret;
    std::size_t len = 0;
    if (hex.size() != 64 ||
        sodium_hex2bin(secret.data(), secret.size(), hex.data(), hex.size(), nullptr, &len,
                       nullptr) != 0 ||
        len != secret.size()) {
        return std::nullopt;
    }
    return secret;
}

// Reads a secret (a locker secret, the operator key); says so when others may read it too.
std::string read_text(const std::string& path, std::string_view what) {
    std::string why;
    auto text = posix::read_small_file(path, why);
    if (!text) {
        fail("cannot read " + std::string(what) + " " + path + ": " + why);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        spdlog::warn("{} {} is readable by others (mode {:o}); a secret file should be 0600", what,
                     path, st.st_mode & 0777);
    }
    return std::move(*text);
}

// [[locker]] id = "alice", secret = "<64 hex>" (or secret_file = "path"),
// quota_bytes = N, bandwidth_share = N
std::vector<LockerRecord> load_accounts(const std::string& path, std::uint64_t default_quota) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        fail("accounts " + path + ": " + std::string(e.description()));
    }
    std::vector<LockerRecord> out;
    for (const auto& [key, node] : root) {
        if (key.str() != "locker" || !node.is_array_of_tables()) {
            fail("accounts: only [[locker]] tables are allowed, found \"" + std::string(key.str()) +
                 "\"");
        }
        for (const auto& entry : *node.as_array()) {
            const auto& t = *entry.as_table();
            LockerRecord r;
            r.quota_bytes = default_quota;
            std::optional<decade::LockerSecret> secret;
            for (const auto& [k, v] : t) {
                const std::string_view name = k.str();
                if (name == "id" && v.is_string()) {
                    r.id = *v.value<std::string>();
                } else if (name == "secret" && v.is_string()) {
                    secret = secret_from_hex(*v.value<std::string>());
                    if (!secret) {
                        fail("accounts: secret must be 64 hex digits (32 bytes)");
                    }
                } else if (name == "secret_file" && v.is_string()) {
                    secret = secret_from_hex(read_text(*v.value<std::string>(), "secret_file"));
                    if (!secret) {
                        fail("accounts: secret_file must hold 64 hex digits");
                    }
                } else if (name == "quota_bytes" && v.is_integer() &&
                           *v.value<std::int64_t>() > 0) {
                    r.quota_bytes = static_cast<std::uint64_t>(*v.value<std::int64_t>());
                } else if (name == "bandwidth_share" && v.is_integer() &&
                           *v.value<std::int64_t>() >= 1 && *v.value<std::int64_t>() <= 1000) {
                    r.bandwidth_share = static_cast<std::uint32_t>(*v.value<std::int64_t>());
                } else {
                    fail("accounts: unknown key or bad value: " + std::string(name));
                }
            }
            if (!decade::is_valid_locker_id(r.id)) {
                fail("accounts: locker id \"" + r.id +
                     "\" must be 1..64 characters of [A-Za-z0-9._~-]");
            }
            if (!secret) {
                fail("accounts: locker \"" + r.id + "\" has no secret");
            }
            r.secret = *secret;
            out.push_back(r);
        }
    }
    return out;
}

asio::ip::tcp::endpoint parse_listen(const std::string& text) {
    std::string why;
    const auto endpoint = net::parse_tcp_endpoint(text, {.allow_port_zero = true}, why);
    if (!endpoint) {
        fail("--listen must be an IP address and a port, got \"" + text + "\": " + why);
    }
    return *endpoint;
}

void write_port_file(const std::string& path, unsigned short port) {
    if (!posix::write_port_file(path, port)) {
        fail("cannot write --port-file " + path);
    }
}

int run_token(const std::string& secret_file, const std::string& secret_hex,
              decade::TokenClaims claims, const std::string& ops, std::int64_t ttl_s,
              bool show_claims) {
    const auto secret =
        secret_from_hex(secret_hex.empty() ? read_text(secret_file, "--secret-file") : secret_hex);
    if (!secret) {
        fail("token: the secret must be 64 hex digits");
    }
    const auto mask = decade::parse_ops(ops);
    if (!mask) {
        fail("token: --ops must be a list of get, put, delete, status (or all)");
    }
    claims.ops = *mask;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    if (claims.not_before_s == 0) {
        claims.not_before_s = now;
    }
    claims.expiry_s = now + ttl_s;
    if (claims.token_id == 0) {
        randombytes_buf(&claims.token_id, sizeof claims.token_id);
    }
    const auto token = decade::generate_token(*secret, claims);
    if (!token) {
        fail("token: claims cannot be encoded (check --locker, --prefix, --first/--last, --ttl)");
    }
    std::cout << *token << "\n";
    if (show_claims) {
        decade_api::TokenClaims proto;
        decade::to_proto(claims, proto);
        std::cerr << to_json(proto) << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    p2pls::net::route_protobuf_log_to_debug();
    if (sodium_init() < 0) {
        fail("libsodium failed to initialise");
    }
    // Request bodies (PUTs) and directory-store reads of up to max-object-bytes are
    // allocated and freed all the time (GET answers share the stored bytes, no copy): keep
    // them in the heap instead of fresh mmap()s, whose page faults and zeroing cost more
    // than the copy itself for 1 MiB objects.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    CLI::App app{
        "decade-server: DECADE in-network storage for p2pls. Lockers hold objects under\n"
        "tokens (HMAC-SHA256 capabilities); identical objects are stored once by content\n"
        "hash. API: PUT/GET/DELETE /v1/lockers/{l}/objects/{name}, POST\n"
        "/v1/lockers/{l}/remote-get, GET /v1/lockers/{l}/status, POST /v1/batch,\n"
        "POST /v1/lockers, GET /metrics. Subcommand `token` mints a token."};
    app.require_subcommand(0, 1);

    std::string listen = "127.0.0.1:8300";
    std::string port_file;
    std::string store_dir;
    std::string accounts;
    std::string operator_key;
    std::string operator_key_file;
    std::string region;
    std::string log_level = "info";
    std::string local_address;
    bool dev_open = false;
    bool allow_any_peer = false;
    std::vector<std::string> peer_servers;
    std::vector<std::string> public_urls;
    std::vector<std::string> trusted_proxies;
    std::uint64_t egress_bps = 0;
    std::size_t slots = 4;
    std::size_t max_connections = 1024;
    std::size_t open_blobs = DirStore::kDefaultOpenBlobs;
    std::uint64_t idle_timeout_ms = 30'000;
    std::uint64_t request_timeout_ms = 10'000;
    std::uint64_t fetch_timeout_ms = 5'000;
    ServerConfig config;

    app.add_option("--listen", listen, "address:port to serve on (port 0 picks a free port)")
        ->capture_default_str();
    app.add_option("--port-file", port_file, "write the bound port here once listening");
    app.add_option("--store", store_dir,
                   "keep objects in this directory (survives restarts; checked on load); "
                   "default: memory");
    app.add_option("--open-blobs", open_blobs,
                   "with --store: blob files kept open for GETs (sent with sendfile); "
                   "0 opens each per GET")
        ->capture_default_str()
        ->check(CLI::Range(0, 1'000'000));
    app.add_option("--capacity", config.capacity_bytes,
                   "bytes of distinct objects the server stores at most")
        ->capture_default_str();
    app.add_option("--max-object-bytes", config.max_object_bytes, "largest object, bytes")
        ->capture_default_str();
    app.add_option("--accounts", accounts,
                   "TOML file of lockers: [[locker]] id, secret (64 hex) or secret_file, "
                   "quota_bytes, bandwidth_share")
        ->check(CLI::ExistingFile);
    app.add_option("--operator-key", operator_key, "key (Bearer) that authorises POST /v1/lockers");
    app.add_option("--operator-key-file", operator_key_file, "read --operator-key from a file")
        ->check(CLI::ExistingFile);
    app.add_flag("--dev-open", dev_open, "let anyone register lockers (testbeds only)");
    app.add_option("--default-quota", config.default_quota_bytes,
                   "quota of lockers registered without one, bytes")
        ->capture_default_str();
    app.add_option("--slots", slots,
                   "m: requests in progress per client address; more get 503 (idle keep-alive "
                   "connections hold none; 0 = no cap)")
        ->capture_default_str();
    app.add_option("--max-connections", max_connections,
                   "open connections in all (when full, the oldest idle one is closed)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1'000'000));
    app.add_option("--egress-bps", egress_bps,
                   "egress cap for object bytes, bits per second, shared fairly among "
                   "lockers (0 = none)")
        ->capture_default_str();
    app.add_option("--peer-server", peer_servers,
                   "base URL (http:// or https://host:port) Remote Get may fetch from; repeatable");
    app.add_flag("--allow-any-peer", allow_any_peer,
                 "Remote Get may fetch from any http:// server (testbeds only)");
    app.add_option("--public-url", public_urls,
                   "URL under which clients reach this server (Remote Get naming it links "
                   "instead of copying); the listen address is always one; repeatable");
    app.add_option("--local-address", local_address, "source address for server-to-server fetches");
    app.add_option("--trusted-proxy", trusted_proxies,
                   "IP address of a reverse proxy whose X-Decade-Client header names the real "
                   "client (grantee-bound tokens then bind to that address); from anyone else "
                   "the header is ignored; repeatable");
    app.add_option("--default-ttl", config.default_ttl_s, "TTL of puts that name none, seconds")
        ->capture_default_str();
    app.add_option("--max-ttl", config.max_ttl_s, "largest TTL a put may ask, seconds")
        ->capture_default_str();
    app.add_option("--token-skew", config.token_skew_s,
                   "clock-skew allowance on token expiry and not-before, seconds")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600));
    app.add_option("--idle-timeout-ms", idle_timeout_ms, "close idle keep-alive connections")
        ->capture_default_str();
    app.add_option("--request-timeout-ms", request_timeout_ms, "time to receive one whole request")
        ->capture_default_str();
    app.add_option("--fetch-timeout-ms", fetch_timeout_ms,
                   "server-to-server fetch timeout (Remote Get)")
        ->capture_default_str();
    cli::LinkDelayFlags link_delay;
    // Its answers to clients are not held back: the clients' DECADE module delays each
    // request and answer on its side (docs/testbed.md).
    cli::add_link_delay_flags(app, link_delay,
                              "each request this server sends to another one (Remote Get) and "
                              "its answer");
    app.add_option("--region", region,
                   "region label (reported in /metrics and to the tracker, which assigns "
                   "peers the nearest DECADE server)");
    std::string tracker_url;
    app.add_option("--tracker", tracker_url,
                   "tracker base URL: register this server (url, region, load) at start and "
                   "every 30 s (POST /v1/decade-servers; needs --tracker-key)");
    std::string tracker_key_file;
    app.add_option("--tracker-key", tracker_key_file,
                   "file with the tracker's registration key (64 hex digits; the tracker's "
                   "--registration-key or this server's key in its config): registrations "
                   "carry an HMAC of it, never the key")
        ->check(CLI::ExistingFile);
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->capture_default_str();
    http::TlsFiles tls;
    app.add_option("--tls-cert", tls.cert_file,
                   "serve HTTPS with this PEM certificate chain (with --tls-key)")
        ->check(CLI::ExistingFile);
    app.add_option("--tls-key", tls.key_file, "PEM private key of --tls-cert")
        ->check(CLI::ExistingFile);
    std::string ca_file;
    app.add_option("--ca-file", ca_file,
                   "PEM CA certificates that https:// servers (--tracker, Remote Get) must "
                   "chain to (default: the system's)")
        ->check(CLI::ExistingFile);
    std::size_t max_connections_per_client = 0;
    app.add_option("--max-connections-per-client", max_connections_per_client,
                   "open connections one address may hold (its oldest idle one gives way "
                   "first; 0 = no cap)")
        ->capture_default_str();
    std::size_t threads = std::max(1U, std::thread::hardware_concurrency());
    app.add_option("--threads", threads,
                   "event loops, one thread each, taking the connections in turn; slots, "
                   "connection caps and the egress cap hold across them (default: the "
                   "number of cores)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();

    auto* token_cmd = app.add_subcommand(
        "token",
        "mint a token for a locker (prints it on stdout; claims as JSON on stderr "
        "with --show)");
    std::string secret_file;
    std::string secret_hex;
    std::string ops = "get";
    std::int64_t ttl_s = 3600;
    bool show = false;
    decade::TokenClaims claims;
    claims.seq_last = UINT64_MAX;
    token_cmd->add_option("--secret-file", secret_file, "file holding the locker secret (64 hex)");
    token_cmd->add_option("--secret", secret_hex, "the locker secret (64 hex)");
    token_cmd->add_option("--locker", claims.locker, "locker id")->required();
    token_cmd->add_option("--ops", ops, "get,put,delete,status or all")->capture_default_str();
    token_cmd->add_option("--prefix", claims.prefix, "object-name prefix (names are prefix+seq)");
    token_cmd->add_option("--first", claims.seq_first, "first seq in scope")->capture_default_str();
    token_cmd->add_option("--last", claims.seq_last, "last seq in scope")->capture_default_str();
    token_cmd->add_option("--ttl", ttl_s, "lifetime, seconds from now")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 365 * 24 * 3600));
    token_cmd->add_option("--budget", claims.byte_budget, "byte budget (0 = unlimited)");
    token_cmd->add_option("--id", claims.token_id, "token id (default: random)");
    token_cmd->add_option("--grantee", claims.grantee,
                          "only a client at this IP address (as the server sees it, or as a "
                          "--trusted-proxy names it) may use the token");
    token_cmd->add_flag("--show", show, "print the claims as JSON on stderr");

    if (const auto done = p2pls::cli::parse_flags(app, argc, argv, "decade-server")) {
        return *done;
    }
    if (*token_cmd) {
        // stdout carries the token alone (scripts capture it with $(...)): warnings, such as
        // one about the secret file's mode, go to stderr.
        spdlog::set_default_logger(spdlog::stderr_color_mt("token"));
        if (secret_file.empty() == secret_hex.empty()) {
            fail("token: give exactly one of --secret-file and --secret");
        }
        if (!claims.grantee.empty()) {
            // The server compares the canonical text of the address it sees.
            const auto address = canonical_address(claims.grantee);
            if (!address) {
                fail("token: --grantee must be an IP address, got \"" + claims.grantee + "\"");
            }
            claims.grantee = *address;
        }
        return run_token(secret_file, secret_hex, claims, ops, ttl_s, show);
    }

    const auto level = spdlog::level::from_str(log_level);
    if (level == spdlog::level::off && log_level != "off") {
        fail("unknown log level \"" + log_level + "\"");
    }
    spdlog::set_level(level);
    if (!operator_key_file.empty()) {
        operator_key = read_text(operator_key_file, "--operator-key-file");
        while (!operator_key.empty() &&
               std::isspace(static_cast<unsigned char>(operator_key.back()))) {
            operator_key.pop_back();
        }
    }
    if (config.max_object_bytes == 0 || config.max_object_bytes > (1ULL << 30)) {
        fail("--max-object-bytes must be 1..1073741824");
    }
    if (config.default_ttl_s == 0 || config.default_ttl_s > config.max_ttl_s) {
        fail("--default-ttl must be 1..--max-ttl");
    }
    config.peer_servers = peer_servers;
    config.allow_any_peer = allow_any_peer;
    for (const auto& url : peer_servers) {
        if (normalize_server_url(url).empty()) {
            fail("--peer-server must be http(s)://host:port, got \"" + url + "\"");
        }
    }
    const auto endpoint = parse_listen(listen);
    for (auto& proxy : trusted_proxies) {
        const auto address = canonical_address(proxy);
        if (!address) {
            fail("--trusted-proxy must be an IP address, got \"" + proxy + "\"");
        }
        proxy = *address;
    }
    if (tls.cert_file.empty() != tls.key_file.empty()) {
        fail("--tls-cert and --tls-key go together");
    }
    std::shared_ptr<asio::ssl::context> tls_context;
    if (!tls.cert_file.empty()) {
        try {
            tls_context = http::make_server_tls_context(tls);
        } catch (const std::exception& e) {
            fail(e.what());
        }
    }

    // Connections and open blob files both take descriptors: the soft limit (often 1024)
    // goes up to the hard one, as nginx's worker_rlimit_nofile does.
    if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0) {
        if (files.rlim_cur < files.rlim_max) {
            files.rlim_cur = files.rlim_max;
            (void)::setrlimit(RLIMIT_NOFILE, &files);
            (void)::getrlimit(RLIMIT_NOFILE, &files);
        }
        const std::uint64_t wanted = max_connections + (store_dir.empty() ? 0 : open_blobs) + 64;
        if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < wanted) {
            spdlog::warn(
                "{} descriptors allowed, {} wanted (--max-connections, --open-blobs): "
                "busy moments may get 503",
                files.rlim_cur, wanted);
        }
    }

    std::unique_ptr<BlobStore> store;
    RecoveredState recovered;
    if (store_dir.empty()) {
        store = std::make_unique<MemoryStore>();
    } else {
        try {
            store = DirStore::open(store_dir, recovered, open_blobs);
        } catch (const std::exception& e) {
            fail(std::string("--store: ") + e.what());
        }
    }

    // One event loop per thread; the home loop also runs signals, the sweep, the
    // egress queue, Remote Get fetches and the tracker registration.
    net::EventLoops event_loops(threads);
    const auto& loops = event_loops.loops();
    asio::io_context& io = event_loops.home();
    http::ServerLimits limits;
    limits.max_body_bytes = config.max_object_bytes + 64 * 1024;
    limits.max_connections = max_connections;
    limits.max_requests_per_client = slots;
    // A client that gives up (a peer past its fetch timeout, another server's Remote Get
    // that timed out) frees its slot and its turn at the egress cap at once: under
    // congestion, answers nobody reads would otherwise hold every slot of the servers
    // that copy from us, and they would be refused (503) again and again.
    limits.cancel_on_hang_up = true;
    limits.max_connections_per_client = max_connections_per_client;
    limits.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
    limits.request_timeout = std::chrono::milliseconds(request_timeout_ms);

    std::optional<ServerCore> core;
    std::optional<DecadeService> service;
    std::optional<http::HttpServer> server;
    try {
        // Bind first so that the real port is known before the core learns its own URLs.
        server.emplace(
            loops, endpoint, limits,
            [&](http::Request& req, const http::RequestContext& ctx) {
                return service->handle(req, ctx);
            },
            tls_context);
    } catch (const std::exception& e) {
        fail("cannot listen on " + listen + ": " + e.what());
    }
    const auto bound = server->local_endpoint();
    config.self_urls = public_urls;
    const std::string scheme = tls_context ? "https://" : "http://";
    config.self_urls.push_back(scheme + bound.address().to_string() + ":" +
                               std::to_string(bound.port()));
    if (bound.address().is_loopback()) {
        config.self_urls.push_back(scheme + "localhost:" + std::to_string(bound.port()));
    }
    core.emplace(config, *store);
    // Accounts first, so that restored objects find their lockers.
    if (!accounts.empty()) {
        for (const auto& record : load_accounts(accounts, config.default_quota_bytes)) {
            if (auto r = core->add_locker(record); !r) {
                fail("accounts: cannot add locker " + record.id);
            }
        }
    }
    core->restore(recovered, decade_server::unix_now());
    if (recovered.dropped_corrupt > 0) {
        spdlog::warn("store: dropped {} corrupt or stray entries on load",
                     recovered.dropped_corrupt);
    }
    if (recovered.unreadable > 0) {
        spdlog::warn("store: {} files could not be read on load; kept for the next start",
                     recovered.unreadable);
    }
    service.emplace(loops, *core,
                    ServiceOptions{.operator_key = operator_key,
                                   .dev_open = dev_open,
                                   .egress_bytes_per_s = egress_bps / 8,
                                   .fetch_timeout = std::chrono::milliseconds(fetch_timeout_ms),
                                   .max_batch_ops = 256,
                                   .sweep_every = std::chrono::seconds(1),
                                   .local_address = local_address,
                                   .trusted_proxies = trusted_proxies,
                                   .ca_file = ca_file,
                                   .link_delays = link_delay.delays()});
    service->attach(&*server);
    if (!region.empty()) {
        core->metrics().gauge("decade_info", "Server information", {{"region", region}}).set(1);
    }
    if (!port_file.empty()) {
        write_port_file(port_file, bound.port());
    }
    server->start();
    service->start();
    spdlog::info(
        "decade-server listening on {}{}:{} ({} store, {} objects restored, slots {}, "
        "egress {} bit/s, {} threads)",
        scheme, bound.address().to_string(), bound.port(), store_dir.empty() ? "memory" : "dir",
        recovered.refs.size(), slots, egress_bps, threads);

    std::optional<tracker::TrackerClient> tracker_client;
    bool stopping = false;
    if (!tracker_url.empty()) {
        tracker::TrackerClientOptions tracker_options;
        tracker_options.ca_file = ca_file;
        if (!tracker_key_file.empty()) {
            std::ifstream in(tracker_key_file);
            std::stringstream text;
            text << in.rdbuf();
            tracker_options.registration_key = parse_registration_key(text.str());
            if (!tracker_options.registration_key) {
                std::fprintf(stderr, "decade-server: --tracker-key %s: expected 64 hex digits\n",
                             tracker_key_file.c_str());
                return 2;
            }
        } else {
            spdlog::warn("--tracker without --tracker-key: the tracker will refuse (401)");
        }
        tracker_client.emplace(io, tracker_url, "", tracker_options);
        const std::string self_url = config.self_urls.front();
        asio::co_spawn(
            io,
            [&, self_url]() -> asio::awaitable<void> {
                asio::steady_timer timer(io);
                bool told = false;
                while (!stopping) {
                    tracker_api::DecadeServerInfo info;
                    info.set_url(self_url);
                    info.set_region(region);
                    info.set_load(static_cast<double>(server->open_connections()) /
                                  static_cast<double>(max_connections));
                    auto r = co_await tracker_client->register_decade_server(info);
                    if (!r && !told) {
                        spdlog::warn("tracker {}: registration failed (will retry): {}",
                                     tracker_url, r.error().detail);
                    } else if (r && !told) {
                        spdlog::info("registered with tracker {} as {}", tracker_url, self_url);
                    }
                    told = told || r.has_value();
                    timer.expires_after(std::chrono::seconds(told ? 30 : 2));
                    boost::system::error_code ec;
                    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                }
            },
            asio::detached);
    }

    net::StopSignals signals(io, [&](int signal) {
        stopping = true;
        spdlog::info("signal {}: stopping", signal);
        service->stop();
        server->stop();
        event_loops.stop();
    });
    event_loops.run();
    spdlog::info("decade-server stopped");
    return 0;
}
