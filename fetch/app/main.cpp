// p2pls-fetch: the user's downloader of the DECADE file distribution platform (the
// draft's §6). Given a publisher's download link, it takes the manifest, fetches the
// slices from the DECADE servers ALTO ranked best (in parallel), checks each one's
// SHA-256, falls back to the next server on an error or a wrong hash, resumes an
// interrupted download, and exits non-zero when the file cannot be had.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "common/cli/parse_flags.hpp"
#include "common/net/protobuf_log.hpp"
#include "common/net/stop_signals.hpp"
#include "common/posix/atomic_file.hpp"
#include "fetch/core/progress.hpp"
#include "fetch/curl/fetcher.hpp"

namespace {

namespace asio = boost::asio;
using namespace p2pls;
using Clock = std::chrono::steady_clock;

// The line redrawn on a terminal, at most five times a second.
class ProgressBar {
  public:
    explicit ProgressBar(bool on) : on_(on) {}

    void update(std::uint64_t done, std::uint64_t total) {
        const auto now = Clock::now();
        // The first figure is what a resumed run already had: not part of the rate.
        if (started_) {
            meter_.add(now, done - std::min(done, seen_));
        }
        started_ = true;
        seen_ = done;
        if (on_ && (done == total || now - drawn_ >= std::chrono::milliseconds(200))) {
            drawn_ = now;
            std::fprintf(stderr, "\r\033[K%s",
                         fetch::progress_line(done, total, meter_.rate(now)).c_str());
            std::fflush(stderr);
        }
    }
    void end() {
        if (on_ && started_) {
            std::fputc('\n', stderr);
        }
    }

  private:
    bool on_;
    bool started_ = false;
    std::uint64_t seen_ = 0;
    fetch::RateMeter meter_;
    Clock::time_point drawn_{};
};

// The run for scripts and benches: exact figures where the summary line rounds them.
bool write_report(const std::string& path, const std::optional<fetch::FetchReport>& report,
                  double seconds, std::string& why) {
    namespace json = boost::json;
    json::object by_server;
    json::object out{{"ok", report && report->ok},
                     {"error", report ? report->error : std::string("stopped before the end")},
                     {"seconds", seconds}};
    if (report) {
        for (const auto& [server, bytes] : report->bytes_by_server) {
            by_server[server] = bytes;
        }
        out["output"] = report->output.string();
        out["size"] = report->size;
        out["bytes_fetched"] = report->bytes_fetched;
        out["bytes_resumed"] = report->bytes_resumed;
        out["fallbacks"] = report->fallbacks;
        out["already_complete"] = report->already_complete;
        out["bytes_by_server"] = std::move(by_server);
    }
    if (!posix::write_file_atomically(path, json::serialize(out) + "\n")) {
        why = "cannot be written";
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    net::route_protobuf_log_to_debug();
    CLI::App app{
        "p2pls-fetch: downloads a file published on the DECADE portal. LINK is the\n"
        "download link the publisher handed out (http(s)://portal/v1/download/...). The\n"
        "slices come from the DECADE servers in the order ALTO ranked them, several at\n"
        "once; each is checked against its SHA-256, and a server that fails or sends\n"
        "other bytes is replaced by the next. An interrupted download resumes from\n"
        "<output>.part. Exit code 0: the file is complete and verified; 1: it could not\n"
        "be had; 2: bad usage."};
    fetch::FetchOptions options;
    std::string output;
    bool quiet = false;
    std::string log_level = "warn";
    app.add_option("link", options.link, "the download link")->required();
    app.add_option("-o,--output", output,
                   "where the file goes (default: its published name, in this folder)");
    app.add_option("-j,--parallel", options.download.parallel, "slices fetched at once")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--rounds", options.download.rounds,
                   "tries of one server for one slice after busy answers or lost connections")
        ->check(CLI::Range(1, 20))
        ->capture_default_str();
    double timeout_s = 120;
    app.add_option("--slice-timeout-s", timeout_s, "longest time one slice may take")
        ->check(CLI::Range(1.0, 86400.0))
        ->capture_default_str();
    app.add_option("--ca-file", options.ca_file,
                   "PEM CA certificates for https:// links and servers (default: the system's)")
        ->check(CLI::ExistingFile);
    app.add_option("--local-address", options.local_address,
                   "source address for every connection (e.g. 127.0.0.7)");
    app.add_flag("-q,--quiet", quiet, "no progress line and no summary");
    std::string report_file;
    app.add_option("--report", report_file,
                   "write what happened as JSON to this file, whatever the outcome (ok, error, "
                   "size, bytes fetched and resumed, seconds, fallbacks, bytes by server)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->capture_default_str();
    if (const auto code = cli::parse_flags(app, argc, argv, "p2pls-fetch")) {
        return *code;
    }
    if (!cli::set_log_level(log_level, "p2pls-fetch")) {
        return 2;
    }
    if (!options.link.starts_with("http://") && !options.link.starts_with("https://")) {
        std::fprintf(stderr, "p2pls-fetch: the link must be an http:// or https:// URL\n");
        return 2;
    }
    options.output = output;
    options.slice_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));

    asio::io_context io;
    ProgressBar bar(!quiet && ::isatty(STDERR_FILENO) == 1);
    fetch::Fetcher fetcher(
        io, options, [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    net::StopSignals signals(io, [&](int) { fetcher.stop(); });
    std::optional<fetch::FetchReport> report;
    const auto start = Clock::now();
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { report = co_await fetcher.run(); },
        [&](const std::exception_ptr& e) {
            if (e) {
                std::rethrow_exception(e);
            }
            io.stop();
        });
    io.run();
    bar.end();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!report_file.empty()) {
        std::string why;
        if (!write_report(report_file, report, seconds, why)) {
            std::fprintf(stderr, "p2pls-fetch: --report %s: %s\n", report_file.c_str(),
                         why.c_str());
        }
    }
    if (!report || !report->ok) {
        std::fprintf(stderr, "p2pls-fetch: %s\n",
                     report ? report->error.c_str() : "stopped before the end");
        return 1;
    }
    if (!quiet) {
        if (report->already_complete) {
            std::fprintf(stderr, "p2pls-fetch: %s is already complete and verified\n",
                         report->output.c_str());
            return 0;
        }
        std::string from;
        for (const auto& [server, bytes] : report->bytes_by_server) {
            from += (from.empty() ? "" : ", ") + fetch::human_bytes(static_cast<double>(bytes)) +
                    " from " + server;
        }
        std::fprintf(
            stderr, "p2pls-fetch: %s: %s in %.1f s (%s/s)%s%s; %zu fallbacks\n",
            report->output.c_str(), fetch::human_bytes(static_cast<double>(report->size)).c_str(),
            seconds,
            fetch::human_bytes(static_cast<double>(report->bytes_fetched) / std::max(seconds, 1e-3))
                .c_str(),
            from.empty() ? "" : "; ", from.c_str(), report->fallbacks);
    }
    return 0;
}
