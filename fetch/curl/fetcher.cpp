#include "fetch/curl/fetcher.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <system_error>
#include <variant>
#include <vector>

#include "portal/core/slicer.hpp"

namespace p2pls::fetch {

namespace asio = boost::asio;

namespace {

// A manifest lists ~100 bytes per slice; 64 MiB covers files of terabytes.
constexpr std::size_t kMaxManifestBytes = 64 * 1024 * 1024;

curl::ClientOptions client_options(const FetchOptions& o) {
    curl::ClientOptions c;
    c.max_connections_per_host = static_cast<long>(std::max<std::size_t>(1, o.download.parallel));
    c.max_idle_connections = static_cast<long>(std::max<std::size_t>(4, o.download.parallel));
    c.user_agent = "p2pls-fetch/0.1";
    c.ca_file = o.ca_file;
    c.local_address = o.local_address;
    return c;
}

std::string first_line(std::string_view body) {
    body = body.substr(0, std::min<std::size_t>(body.size(), 200));
    return std::string(body.substr(0, body.find('\n')));
}

}  // namespace

// GCC 12 takes the frames of the coroutines below, once inlined, for a mismatched
// new/delete pair (a known false positive of -Wmismatched-new-delete with coroutines);
// asio allocates and frees them with its own matching operators.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

Fetcher::Fetcher(asio::io_context& io, FetchOptions options, Progress progress)
    : io_(io),
      options_(std::move(options)),
      progress_(std::move(progress)),
      client_(io, client_options(options_)),
      change_(io) {
    change_.expires_at(asio::steady_timer::time_point::max());
}

void Fetcher::stop() {
    stopped_ = true;
    client_.cancel_all();
    change_.cancel();
    for (asio::steady_timer* pause : pauses_) {
        pause->cancel();
    }
}

void Fetcher::changed() {
    // Setting the expiry cancels the waits on it: every idle worker wakes.
    change_.expires_at(asio::steady_timer::time_point::max());
}

asio::awaitable<std::optional<portal::Manifest>> Fetcher::manifest(FetchReport& report) {
    curl::HttpRequest req;
    req.url = options_.link;
    req.headers.emplace_back("Accept", "application/json");
    req.max_response_bytes = kMaxManifestBytes;
    req.timeout = std::chrono::seconds(30);
    const auto r = co_await client_.request(std::move(req));
    if (!r) {
        report.error = options_.link + ": " + r.error().message();
        co_return std::nullopt;
    }
    if (r->status != 200) {
        report.error = options_.link + " answered " + std::to_string(r->status) +
                       (r->body.empty() ? "" : ": " + first_line(r->body));
        co_return std::nullopt;
    }
    auto parsed = portal::parse_manifest_json(r->body);
    if (auto* why = std::get_if<std::string>(&parsed)) {
        report.error = options_.link + ": not a manifest: " + *why;
        co_return std::nullopt;
    }
    co_return std::get<portal::Manifest>(std::move(parsed));
}

asio::awaitable<FetchReport> Fetcher::run() {
    FetchReport report;
    auto m = co_await manifest(report);
    if (!m) {
        co_return report;
    }
    report.size = m->size;
    report.output = options_.output.empty() ? std::filesystem::path(m->name) : options_.output;
    std::string why;
    std::error_code ec;
    if (std::filesystem::exists(report.output, ec)) {
        // Never overwrite a file: it is either this one already, or someone else's.
        const auto have = file_sha256(report.output, why);
        if (have && *have == m->sha256) {
            report.ok = true;
            report.already_complete = true;
            co_return report;
        }
        report.error = report.output.string() +
                       " exists and is not this file; remove it or "
                       "choose another -o";
        co_return report;
    }
    auto file = PartialFile::open(report.output, m->size, why);
    if (!file) {
        report.error = why;
        co_return report;
    }
    Download download(std::move(*m), options_.download);
    if (file->resumed()) {
        for (const auto& slice : download.manifest().slices) {
            const auto bytes = file->read(slice.offset, slice.size, why);
            if (bytes && portal::sha256_hex(*bytes) == slice.sha256) {
                download.already_have(slice.index);
            }
        }
        spdlog::info("resuming {}: {} of {} bytes already there", file->path().string(),
                     download.bytes_resumed(), download.manifest().size);
    }
    if (progress_) {
        progress_(download.bytes_done(), download.manifest().size);
    }
    const std::size_t n = std::max<std::size_t>(1, options_.download.parallel);
    // Each worker has at most one transfer in flight, so together they keep `parallel`.
    std::size_t running = n;
    asio::steady_timer all_done(io_, asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < n; ++i) {
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                co_await worker(download, *file);
                if (--running == 0) {
                    all_done.cancel();
                }
            },
            asio::detached);
    }
    co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));

    report.bytes_resumed = download.bytes_resumed();
    report.bytes_fetched = download.bytes_done() - download.bytes_resumed();
    report.fallbacks = download.fallbacks();
    report.bytes_by_server = download.bytes_by_server();
    if (fatal_) {
        report.error = *fatal_;
    } else if (download.lost()) {
        report.error = download.why_lost();
    } else if (!download.complete()) {
        report.error = "interrupted; run again to resume from " + file->path().string();
    } else {
        const auto whole = file_sha256(file->path(), why);
        if (!whole) {
            report.error = why;
        } else if (*whole != download.manifest().sha256) {
            report.error =
                "every slice verifies but the whole file's SHA-256 is not the "
                "manifest's: the manifest contradicts itself";
        } else if (!file->finish(why)) {
            report.error = why;
        } else {
            report.ok = true;
        }
    }
    co_return report;
}

asio::awaitable<void> Fetcher::worker(Download& download, PartialFile& file) {
    while (!stopped_ && !fatal_ && !download.complete() && !download.lost()) {
        const auto a = download.next();
        if (!a) {
            if (download.in_flight() == 0) {
                co_return;
            }
            // Nothing to start until a transfer in flight ends (it may give its slice back).
            co_await change_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        co_await transfer(download, file, *a);
        changed();
    }
}

asio::awaitable<void> Fetcher::transfer(Download& download, PartialFile& file, Attempt a) {
    if (a.delay.count() > 0) {
        asio::steady_timer pause(io_, a.delay);
        pauses_.insert(&pause);
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        pauses_.erase(&pause);
    }
    if (stopped_) {
        // Stopped during the pause: the attempt never reached its server, which is not to
        // blame; the download ends as interrupted.
        co_return;
    }
    const portal::ManifestSlice& slice = download.manifest().slices[a.slice];
    const std::string& url = download.url(a);
    curl::HttpRequest req;
    req.url = url;
    req.timeout = options_.slice_timeout;
    // A body longer than the slice is cut off as it arrives, not held to be hashed.
    req.max_response_bytes = slice.size;
    const auto r = co_await client_.request(std::move(req));
    const std::string server = server_of(url);
    if (!r) {
        const bool too_long = r.error() == make_error_code(Errc::body_too_large);
        if (!stopped_) {
            spdlog::warn("slice {} from {}: {}; trying another server", a.slice, server,
                         r.error().message());
        }
        download.fail(a, too_long ? Failure::wrong_bytes : Failure::transport);
        co_return;
    }
    if (r->status != 200) {
        spdlog::warn("slice {} from {}: HTTP {}; trying another server", a.slice, server,
                     r->status);
        download.fail(a, r->status == 429 || r->status >= 500 ? Failure::busy : Failure::refused);
        co_return;
    }
    if (!download.deliver(a, r->body)) {
        spdlog::warn(
            "slice {} from {}: the bytes are not the slice (size or SHA-256); "
            "trying another server",
            a.slice, server);
        co_return;
    }
    std::string why;
    if (!file.write(slice.offset, r->body, why)) {
        fatal_ = why;
        stop();
        co_return;
    }
    if (progress_) {
        progress_(download.bytes_done(), download.manifest().size);
    }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace p2pls::fetch
