// p2pls-alto: an ALTO server (RFC 7285) for the DECADE file distribution platform (the
// draft's §6): a network map and routing costs from a TOML file, reloaded on SIGHUP.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <variant>

#include "alto/core/alto_maps.hpp"
#include "alto/http/alto_service.hpp"
#include "common/cli/parse_flags.hpp"
#include "common/http/tls_context.hpp"
#include "common/net/endpoint.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"

namespace {

namespace asio = boost::asio;
using namespace p2pls;

// Without --maps: one machine's view. Loopback is one PID, everything else another, and
// going between them costs ten times staying inside.
constexpr std::string_view kBuiltInMaps = R"(
[pids.loopback]
ipv4 = ["127.0.0.0/8"]
ipv6 = ["::1/128"]
[pids.default]
ipv4 = ["0.0.0.0/0"]
ipv6 = ["::/0"]
[[costs]]
src = "loopback"
dst = "loopback"
routingcost = 1
[[costs]]
src = "default"
dst = "default"
routingcost = 1
[[costs]]
src = "loopback"
dst = "default"
routingcost = 10
symmetric = true
)";

// A maps file an operator writes is small; a bigger one is a mistake, not a map.
constexpr std::streamsize kMaxMapsBytes = 16 * 1024 * 1024;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "p2pls-alto: %s\n", message.c_str());
    std::exit(2);
}

// The maps of `path` (the built-in ones for ""), or why not.
std::variant<alto::AltoMaps, std::string> load_maps(const std::string& path) {
    if (path.empty()) {
        return alto::parse_alto_maps(kBuiltInMaps);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return path + ": cannot read";
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > static_cast<std::size_t>(kMaxMapsBytes)) {
        return path + ": larger than 16 MiB";
    }
    auto maps = alto::parse_alto_maps(text.str());
    if (auto* why = std::get_if<std::string>(&maps)) {
        return path + ": " + *why;
    }
    return maps;
}

}  // namespace

int main(int argc, char** argv) {
    p2pls::net::route_protobuf_log_to_debug();
    CLI::App app{
        "p2pls-alto: an ALTO server (RFC 7285). It tells a DECADE portal or any client\n"
        "which servers are near an address: a network map of PIDs (address prefixes) and\n"
        "the routing cost between them. GET /directory, /networkmap,\n"
        "/costmap/num/routingcost, /costmap/ord/routingcost, /metrics; POST\n"
        "/costmap/filtered, /endpointcost/lookup. SIGHUP reloads --maps; a file that does\n"
        "not parse is refused and the old maps stay."};
    std::string listen = "127.0.0.1:8500";
    std::string maps_path;
    std::string base_uri;
    std::string port_file;
    std::string log_level = "info";
    http::TlsFiles tls;
    app.add_option("--listen", listen, "address:port to serve on (port 0 picks a free port)")
        ->capture_default_str();
    app.add_option("--maps", maps_path,
                   "TOML file with the network map and costs: resource_id, [pids.NAME] "
                   "ipv4/ipv6 = [\"prefix/len\", ...], [[costs]] src/dst/routingcost/"
                   "symmetric (alto/README.md). Default: loopback and everything else");
    app.add_option("--base-uri", base_uri,
                   "absolute URI the directory lists resources under (default: "
                   "http://<bound address>:<port>)");
    app.add_option("--port-file", port_file,
                   "write the bound port to this file once listening (for tests with port 0)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->capture_default_str();
    app.add_option("--tls-cert", tls.cert_file,
                   "serve HTTPS with this PEM certificate chain (with --tls-key)")
        ->check(CLI::ExistingFile);
    app.add_option("--tls-key", tls.key_file, "PEM private key of --tls-cert")
        ->check(CLI::ExistingFile);
    if (const auto code = cli::parse_flags(app, argc, argv, "p2pls-alto")) {
        return *code;
    }
    if (!cli::set_log_level(log_level, "p2pls-alto")) {
        return 2;
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
    auto maps = load_maps(maps_path);
    if (auto* why = std::get_if<std::string>(&maps)) {
        fail("--maps " + *why);
    }
    std::string listen_why;
    const auto endpoint = net::parse_tcp_endpoint(listen, {.allow_port_zero = true}, listen_why);
    if (!endpoint) {
        fail("--listen \"" + listen + "\": " + listen_why);
    }

    asio::io_context io;
    std::optional<alto::AltoHttpService> service;
    try {
        service.emplace(io, *endpoint, std::move(std::get<alto::AltoMaps>(maps)), base_uri,
                        http::ServerLimits{}, tls_context);
    } catch (const std::exception& e) {
        fail("cannot listen on " + listen + ": " + e.what());
    }
    const auto bound = service->local_endpoint();
    if (!port_file.empty() && !posix::write_port_file(port_file, bound.port())) {
        fail("cannot write --port-file " + port_file);
    }
    service->start();
    spdlog::info("p2pls-alto listening on {}://{}:{} ({} PIDs, vtag {})",
                 tls_context ? "https" : "http", bound.address().to_string(), bound.port(),
                 service->maps().network.pids().size(), service->maps().vtag);

    asio::signal_set hangup(io, SIGHUP);
    std::function<void()> arm_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) {
                return;
            }
            auto reloaded = load_maps(maps_path);
            if (auto* why = std::get_if<std::string>(&reloaded)) {
                service->note_failed_reload();
                spdlog::error("SIGHUP: {}; still serving the maps with vtag {}", *why,
                              service->maps().vtag);
            } else {
                service->replace_maps(std::move(std::get<alto::AltoMaps>(reloaded)));
                spdlog::info("SIGHUP: reloaded, {} PIDs, vtag {}",
                             service->maps().network.pids().size(), service->maps().vtag);
            }
            arm_hangup();
        });
    };
    arm_hangup();
    net::StopSignals signals(io, [&](int signal) {
        spdlog::info("signal {}: stopping", signal);
        hangup.cancel();
        service->stop();
        // StopSignals stays armed for a second signal, so the loop would never run dry.
        io.stop();
    });
    io.run();
    spdlog::info("p2pls-alto stopped");
    return 0;
}
