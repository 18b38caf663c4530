#include "portal/http/portal_service.hpp"

#include <sodium.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "common/core/http_path.hpp"
#include "decade-module/core/requests.hpp"
#include "portal/core/alto_ranking.hpp"
#include "portal/core/download_token.hpp"
#include "portal/core/manifest.hpp"
#include "portal/core/placement.hpp"
#include "portal/http/publisher_page.hpp"

namespace p2pls::portal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using http::Status;

namespace {

// A token the portal mints for its own puts and deletes lives this long.
constexpr std::int64_t kOwnTokenS = 600;
constexpr std::size_t kMaxReplication = 16;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string header_of(const http::Request& request, beast::http::field field) {
    const auto it = request.find(field);
    return it == request.end() ? std::string() : std::string(it->value());
}

http::Response error(const http::Request& request, Status status, std::string_view code,
                     std::string_view detail) {
    return http::make_error_response(request, status, code, detail);
}

std::string random_file_id() {
    std::array<unsigned char, 8> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::array<char, 17> hex{};
    sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
    return "f" + std::string(hex.data());
}

// The client as ALTO knows it: an IPv4 client seen through an IPv6 socket is IPv4.
std::string client_address(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
    }
    return address.to_string();
}

json::object file_json(const FileRecord& f) {
    json::array slices;
    for (const SliceRecord& s : f.slices) {
        json::array zones;
        for (const auto& z : s.zones) {
            zones.emplace_back(z);
        }
        slices.emplace_back(
            json::object{{"size", s.size}, {"sha256", s.sha256}, {"zones", std::move(zones)}});
    }
    return {{"name", f.name},
            {"size", f.size},
            {"sha256", f.sha256},
            {"slice_bytes", f.slice_bytes},
            {"created_unix_s", f.created_unix_s},
            {"slices", std::move(slices)}};
}

// The publisher's page. Its policy allows only its own scripts, styles and API calls,
// and no framing, so neither an injected name nor another site can act through it.
http::Response page_file(const http::Request& request) {
    using beast::http::verb;
    const auto target = request.target();
    const std::string_view path(target.data(), std::min(target.find('?'), target.size()));
    for (const WebPageFile& f : publisher_page_files()) {
        if (f.url != path) {
            continue;
        }
        if (request.method() != verb::get && request.method() != verb::head) {
            return error(request, Status::method_not_allowed, "method_not_allowed",
                         "the page is read with GET");
        }
        auto response =
            http::make_response(request, Status::ok, std::string(f.body), f.content_type);
        response.set("Content-Security-Policy",
                     "default-src 'none'; script-src 'self'; style-src 'self'; "
                     "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; "
                     "base-uri 'none'");
        response.set("X-Content-Type-Options", "nosniff");
        response.set("Referrer-Policy", "no-referrer");
        response.set(beast::http::field::cache_control, "no-cache");
        return response;
    }
    return error(request, Status::not_found, "no_route",
                 "the publisher's page is at /, the API under /v1/files and /v1/download");
}

// The portal's own short-lived token for `op` on slices first..last of file `id` in its
// locker on `zone`.
Result<std::string> own_token(const Zone& zone, decade::Op op, std::string_view id,
                              std::uint64_t first, std::uint64_t last) {
    const std::int64_t now = unix_now();
    return decade::generate_token(zone.secret, {.locker = zone.locker,
                                                .ops = decade::op_bit(op),
                                                .prefix = slice_prefix(id),
                                                .seq_first = first,
                                                .seq_last = last,
                                                .not_before_s = now - 60,
                                                .expiry_s = now + kOwnTokenS,
                                                .byte_budget = 0,
                                                .token_id = 0,
                                                .grantee = ""});
}

decade::ClientConfig decade_config() {
    decade::ClientConfig c;
    c.timeout = std::chrono::seconds(60);  // a whole slice's put, queueing included
    return c;
}

}  // namespace

// GCC 12 takes the frames of the coroutines these functions await, once inlined, for a
// mismatched new/delete pair (a known false positive of -Wmismatched-new-delete with
// coroutines); asio allocates and frees them with its own matching operators.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

PortalService::PortalService(asio::io_context& io, const asio::ip::tcp::endpoint& listen,
                             PortalConfig config, Publishers publishers, Catalog catalog,
                             http::ServerLimits limits)
    : io_(io),
      config_(std::move(config)),
      publishers_(std::move(publishers)),
      catalog_(std::move(catalog)),
      refresh_timer_(io),
      decade_(io, decade_config()),
      alto_(io),
      server_(io, listen, limits, [this](http::Request& request, const http::RequestContext& c) {
          return handle(request, c);
      }) {
    config_.replication = std::clamp<std::size_t>(config_.replication, 1, kMaxReplication);
    if (config_.public_url.empty()) {
        const auto bound = server_.local_endpoint();
        config_.public_url =
            "http://" + bound.address().to_string() + ":" + std::to_string(bound.port());
    }
    server_.stream_bodies({.cap = [this](const http::Request& header) -> std::uint64_t {
                               const auto path = http::path_segments(header.target());
                               const bool is_upload = header.method() == beast::http::verb::put &&
                                                      path.size() == 3 && path[0] == "v1" &&
                                                      path[1] == "files";
                               return is_upload ? config_.max_file_bytes : 0;
                           },
                           .handler =
                               [this](http::Request& header, http::BodyStream& body,
                                      const http::RequestContext& context) {
                                   return upload(header, body, context);
                               }});
}

void PortalService::start() {
    server_.start();
    asio::co_spawn(io_, keep_slices_stored(), asio::detached);
}

void PortalService::stop() {
    stopping_ = true;
    refresh_timer_.cancel();
    server_.stop();
    decade_.cancel_all();
}

// A slice's copies expire with the DECADE objects' TTL (at most the servers' --max-ttl,
// a week by default), while a file stays until its publisher deletes it: so every eighth
// of the TTL, the files whose copies have less than half of it left are refreshed on the
// zones that hold them, without sending their bytes again.
asio::awaitable<void> PortalService::keep_slices_stored() {
    const auto period =
        std::chrono::seconds(std::clamp<std::int64_t>(config_.object_ttl_s / 8, 1, 3600));
    while (!stopping_) {
        refresh_timer_.expires_after(period);
        const auto [ec] = co_await refresh_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || stopping_) {
            co_return;
        }
        const std::int64_t margin = config_.object_ttl_s / 2;
        for (const FileKey& key : catalog_.due_for_refresh(unix_now(), margin)) {
            const FileRecord* file = catalog_.find(key.publisher, key.name);
            if (file == nullptr || file->id != key.id || stopping_) {
                continue;
            }
            // A copy: the catalog may change while the refreshes are awaited.
            auto outcome = co_await refresh(FileRecord(*file));
            if (catalog_.record_refresh(outcome) && !save()) {
                // Not saved: the next start refreshes the file again, which costs nothing.
                spdlog::warn("portal: the catalog could not be saved after a refresh");
            }
        }
    }
}

asio::awaitable<RefreshOutcome> PortalService::refresh(FileRecord file) {
    const std::int64_t until = unix_now() + config_.object_ttl_s;
    RefreshOutcome out{{file.publisher, file.name, file.id}, until, {}};
    for (std::size_t i = 0; i < file.slices.size(); ++i) {
        for (const auto& name : file.slices[i].zones) {
            const Zone* z = zone(name);
            const auto token = z == nullptr ? Result<std::string>(Errc::bad_request)
                                            : own_token(*z, decade::Op::put, file.id, i, i);
            if (!token) {
                out.stored_until_unix_s.reset();
                continue;
            }
            const auto status = co_await decade_.refresh(
                z->url, z->locker, slice_object(file.id, i), config_.object_ttl_s, *token);
            if (status.ok()) {
                continue;
            }
            out.stored_until_unix_s.reset();
            metrics_
                .counter("p2pls_portal_zone_refresh_failures_total",
                         "Slice copies a zone did not refresh (lost, or not answering).",
                         {{"zone", name}})
                .inc();
            if (status.code == Errc::not_found) {
                spdlog::warn("portal: zone {} lost slice {} of {}/{}", name, i, file.publisher,
                             file.name);
                out.lost.emplace_back(i, name);
            }
        }
    }
    co_return out;
}

asio::ip::tcp::endpoint PortalService::local_endpoint() const {
    return server_.local_endpoint();
}

bool PortalService::save() {
    return !save_ || save_(catalog_.serialize());
}

const Zone* PortalService::zone(std::string_view name) const {
    for (const Zone& z : config_.zones) {
        if (z.name == name) {
            return &z;
        }
    }
    return nullptr;
}

std::optional<std::string> PortalService::publisher_of(const http::Request& request) const {
    const std::string auth = header_of(request, beast::http::field::authorization);
    constexpr std::string_view kBearer = "Bearer ";
    if (!auth.starts_with(kBearer)) {
        return std::nullopt;
    }
    return publishers_.authenticate(std::string_view(auth).substr(kBearer.size()));
}

asio::awaitable<std::vector<std::string>> PortalService::store(const std::string& id,
                                                               const Slice& slice,
                                                               std::size_t replicas) {
    std::vector<std::string> held;
    const std::vector<bool> all(config_.zones.size(), true);
    // Every zone in placement order, so that a zone that refuses passes its copy on.
    const auto order = place_slice(slice.index, all, config_.zones.size());
    for (const std::size_t z : order) {
        if (held.size() >= replicas) {
            break;
        }
        const Zone& zone = config_.zones[z];
        const auto token = own_token(zone, decade::Op::put, id, slice.index, slice.index);
        if (!token) {
            continue;
        }
        const auto status =
            co_await decade_.put(zone.url, zone.locker, slice_object(id, slice.index), slice.bytes,
                                 config_.object_ttl_s, *token);
        if (status.ok()) {
            held.push_back(zone.name);
        } else {
            metrics_
                .counter("p2pls_portal_zone_put_failures_total",
                         "Slice puts a zone refused or did not answer.", {{"zone", zone.name}})
                .inc();
        }
    }
    co_return held;
}

asio::awaitable<void> PortalService::delete_slices(const FileRecord& file) {
    for (std::size_t i = 0; i < file.slices.size(); ++i) {
        for (const auto& name : file.slices[i].zones) {
            const Zone* z = zone(name);
            if (z == nullptr) {
                continue;
            }
            if (const auto token = own_token(*z, decade::Op::remove, file.id, i, i)) {
                // Best effort: a copy left behind expires with its TTL.
                co_await decade_.remove(z->url, z->locker, slice_object(file.id, i), *token);
            }
        }
    }
}

asio::awaitable<http::Response> PortalService::upload(http::Request& header, http::BodyStream& body,
                                                      const http::RequestContext& context) {
    (void)context;
    const auto publisher = publisher_of(header);
    if (!publisher) {
        co_return error(header, Status::unauthorized, "unauthorized",
                        "a publisher's API key is needed: Authorization: Bearer <key>");
    }
    const std::string name(http::path_segments(header.target())[2]);
    if (!valid_file_name(name)) {
        co_return error(header, Status::bad_request, "bad_name",
                        "a file name is 1-200 letters, digits, '.', '_' or '-', not starting "
                        "with '.'");
    }
    std::size_t replicas = config_.replication;
    if (const auto it = header.find("X-Replication"); it != header.end()) {
        const std::string v(it->value());
        if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(v) == 0 || std::stoul(v) > config_.zones.size()) {
            co_return error(header, Status::bad_request, "bad_replication",
                            "X-Replication must be 1.." + std::to_string(config_.zones.size()));
        }
        replicas = std::stoul(v);
    }
    const auto key = std::pair{*publisher, name};
    if (catalog_.find(*publisher, name) != nullptr || uploading_.count(key) > 0) {
        co_return error(header, Status::conflict, "exists",
                        "you have a file of that name; delete it first");
    }
    uploading_.insert(key);
    struct Release {
        std::set<std::pair<std::string, std::string>>& set;
        std::pair<std::string, std::string> key;
        ~Release() { set.erase(key); }
    } release{uploading_, key};

    FileRecord file;
    file.id = random_file_id();
    file.publisher = *publisher;
    file.name = name;
    file.slice_bytes = config_.slice_bytes;
    file.created_unix_s = unix_now();
    // The first slice is put now, so its copies expire first.
    file.stored_until_unix_s = file.created_unix_s + config_.object_ttl_s;
    Slicer slicer(config_.slice_bytes);
    std::optional<http::Response> failure;
    const auto keep = [&](const Slice& slice) -> asio::awaitable<bool> {
        auto zones = co_await store(file.id, slice, replicas);
        if (zones.empty()) {
            co_return false;
        }
        file.slices.push_back({slice.bytes.size(), slice.sha256, std::move(zones)});
        co_return true;
    };
    for (;;) {
        auto piece = co_await body.next();
        if (!piece) {
            failure =
                error(header,
                      piece.error() == beast::http::error::body_limit ? Status::payload_too_large
                                                                      : Status::bad_request,
                      "upload_broken", "the upload ended early: " + piece.error().message());
            break;
        }
        if (piece->empty()) {
            break;
        }
        bool stored = true;
        for (const Slice& slice : slicer.feed(*piece)) {
            if (stored) {
                stored = co_await keep(slice);
            }
        }
        if (!stored) {
            failure = error(header, Status::service_unavailable, "zones_unavailable",
                            "no DECADE zone took a slice");
            break;
        }
    }
    if (!failure) {
        const auto last = slicer.finish();
        bool stored = true;
        if (last) {
            stored = co_await keep(*last);
        }
        if (!stored) {
            failure = error(header, Status::service_unavailable, "zones_unavailable",
                            "no DECADE zone took a slice");
        }
    }
    if (!failure && slicer.size() == 0) {
        failure = error(header, Status::bad_request, "empty", "an empty file is not stored");
    }
    if (!failure) {
        file.size = slicer.size();
        file.sha256 = slicer.file_sha256();
        catalog_.add(file);
        if (!save()) {
            catalog_.remove(file.publisher, file.name);
            failure = error(header, Status::service_unavailable, "catalog_unsaved",
                            "the catalog could not be saved; try again");
        }
    }
    if (failure) {
        co_await delete_slices(file);
        metrics_.counter("p2pls_portal_uploads_failed_total", "Uploads that stored no file.").inc();
        co_return *failure;
    }
    metrics_.counter("p2pls_portal_uploads_total", "Files stored.").inc();
    metrics_.counter("p2pls_portal_upload_bytes_total", "Bytes of the files stored.")
        .inc(static_cast<double>(file.size));
    http::Response out =
        http::make_json_response(header, Status::created, json::serialize(file_json(file)) + "\n");
    co_return out;
}

http::Response PortalService::make_link(http::Request& request, const FileRecord& file) {
    std::int64_t ttl = config_.default_link_s;
    std::uint64_t budget = 0;
    if (!request.body().empty()) {
        boost::system::error_code ec;
        const auto v = json::parse(request.body(), ec);
        if (ec || !v.is_object()) {
            return error(request, Status::bad_request, "bad_json",
                         "the body is {\"ttl_s\": seconds, \"byte_budget\": bytes}");
        }
        const auto& o = v.as_object();
        for (const auto& [k, value] : o) {
            if (k == "ttl_s" && value.is_int64() && value.as_int64() > 0 &&
                value.as_int64() <= config_.max_link_s) {
                ttl = value.as_int64();
            } else if (k == "byte_budget" && value.is_int64() && value.as_int64() >= 0) {
                budget = static_cast<std::uint64_t>(value.as_int64());
            } else {
                return error(request, Status::bad_request, "bad_field",
                             "ttl_s is 1.." + std::to_string(config_.max_link_s) +
                                 " and byte_budget >= 0; nothing else is taken");
            }
        }
    }
    std::uint64_t id = 0;
    randombytes_buf(&id, sizeof id);
    const Grant grant{.publisher = file.publisher,
                      .file_name = file.name,
                      .file_id = file.id,
                      .expiry_s = unix_now() + ttl,
                      .byte_budget = budget,
                      .grant_id = id};
    const std::string url = config_.public_url + "/v1/download/" + encode_grant(config_.key, grant);
    return http::make_json_response(
        request, Status::created,
        json::serialize(json::object{{"url", url},
                                     {"metalink", url + "?format=metalink"},
                                     {"expires_unix_s", grant.expiry_s}}) +
            "\n");
}

asio::awaitable<std::vector<std::size_t>> PortalService::ranked_zones(std::string client) {
    std::vector<std::size_t> order(config_.zones.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    if (config_.alto_url.empty()) {
        co_return order;
    }
    std::vector<std::string> addresses;
    for (const Zone& z : config_.zones) {
        addresses.push_back(z.address);
    }
    curl::HttpRequest request{
        .method = "POST",
        .url = config_.alto_url + "/endpointcost/lookup",
        .headers = {{"Content-Type", "application/alto-endpointcostparams+json"},
                    {"Accept", "application/alto-endpointcost+json"}},
        .body = endpoint_cost_request(client, addresses),
        .timeout = std::chrono::seconds(2),
        .connect_timeout = std::chrono::seconds(1),
        .max_response_bytes = 1 << 20};
    const auto reply = co_await alto_.request(std::move(request));
    if (reply && reply->status == 200) {
        if (const auto costs = endpoint_costs(reply->body, client, addresses)) {
            co_return rank_by_cost(*costs);
        }
    }
    metrics_
        .counter("p2pls_portal_alto_fallbacks_total",
                 "Downloads given the configured zone order because ALTO could not rank.")
        .inc();
    co_return order;
}

asio::awaitable<http::Response> PortalService::download(http::Request& request,
                                                        std::string_view grant_text,
                                                        const http::RequestContext& context) {
    const std::int64_t now = unix_now();
    const auto verified = verify_grant(config_.key, grant_text, now);
    if (const auto* why = std::get_if<GrantError>(&verified)) {
        const bool expired = *why == GrantError::expired;
        co_return error(request, Status::unauthorized, expired ? "link_expired" : "bad_link",
                        expired ? "this download link has expired; ask the publisher for a new one"
                                : "not a download link of this portal");
    }
    const Grant& grant = std::get<Grant>(verified);
    const FileRecord* found = catalog_.find(grant.publisher, grant.file_name);
    if (found == nullptr || found->id != grant.file_id) {
        co_return error(request, Status::not_found, "gone", "the publisher removed this file");
    }
    const FileRecord file = *found;  // the catalog may change while ALTO answers
    const auto order = co_await ranked_zones(client_address(context.remote.address()));
    std::vector<std::string> tokens(config_.zones.size());
    for (std::size_t z = 0; z < config_.zones.size(); ++z) {
        const auto t = download_token(config_.zones[z].secret, config_.zones[z].locker, file,
                                      {.not_before_s = now - 60,
                                       .expiry_s = grant.expiry_s,
                                       .byte_budget = grant.byte_budget,
                                       .token_id = grant.grant_id});
        if (t) {
            tokens[z] = *t;
        }
    }
    Manifest m{.name = file.name,
               .size = file.size,
               .sha256 = file.sha256,
               .slice_bytes = file.slice_bytes,
               .expires_unix_s = grant.expiry_s,
               .slices = {}};
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < file.slices.size(); ++i) {
        const SliceRecord& s = file.slices[i];
        ManifestSlice out{
            .index = i, .offset = offset, .size = s.size, .sha256 = s.sha256, .urls = {}};
        for (const std::size_t z : order) {
            const Zone& zone = config_.zones[z];
            if (!tokens[z].empty() &&
                std::find(s.zones.begin(), s.zones.end(), zone.name) != s.zones.end()) {
                out.urls.push_back(zone.url +
                                   decade::object_target(zone.locker, slice_object(file.id, i)) +
                                   "?token=" + tokens[z]);
            }
        }
        offset += s.size;
        m.slices.push_back(std::move(out));
    }
    metrics_.counter("p2pls_portal_manifests_total", "Download manifests answered.").inc();
    const auto format = http::query_param(http::query_string(request.target()), "format");
    const bool metalink =
        (format && *format == "metalink") ||
        header_of(request, beast::http::field::accept).find(kMetalinkType) != std::string::npos;
    if (metalink) {
        co_return http::make_response(request, Status::ok, manifest_metalink(m), kMetalinkType);
    }
    co_return http::make_json_response(request, Status::ok, manifest_json(m));
}

asio::awaitable<http::Response> PortalService::handle(http::Request& request,
                                                      const http::RequestContext& context) {
    const auto path = http::path_segments(request.target());
    const auto method = request.method();
    using beast::http::verb;
    if (path.size() == 1 && path[0] == "metrics") {
        metrics_.gauge("p2pls_portal_files", "Files in the catalog.")
            .set(static_cast<double>(catalog_.size()));
        co_return http::make_response(request, Status::ok, metrics_.render(),
                                      "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path.size() == 3 && path[0] == "v1" && path[1] == "download" && method == verb::get) {
        co_return co_await download(request, path[2], context);
    }
    if (path.empty() || path[0] != "v1") {
        co_return page_file(request);
    }
    if (path.size() < 2 || path[1] != "files") {
        co_return error(request, Status::not_found, "no_route",
                        "the API is under /v1/files and /v1/download");
    }
    const auto publisher = publisher_of(request);
    if (!publisher) {
        co_return error(request, Status::unauthorized, "unauthorized",
                        "a publisher's API key is needed: Authorization: Bearer <key>");
    }
    if (path.size() == 2 && method == verb::get) {
        json::array files;
        for (const FileRecord* f : catalog_.list(*publisher)) {
            files.emplace_back(file_json(*f));
        }
        co_return http::make_json_response(
            request, Status::ok, json::serialize(json::object{{"files", std::move(files)}}) + "\n");
    }
    if (path.size() >= 3) {
        const FileRecord* file = catalog_.find(*publisher, path[2]);
        if (file == nullptr) {
            co_return error(request, Status::not_found, "not_found",
                            "you have no file of that name");
        }
        if (path.size() == 3 && method == verb::delete_) {
            auto removed = catalog_.remove(*publisher, path[2]);
            if (!save()) {
                catalog_.add(*removed);
                co_return error(request, Status::service_unavailable, "catalog_unsaved",
                                "the catalog could not be saved; try again");
            }
            co_await delete_slices(*removed);
            co_return http::make_response(request, Status::no_content, {}, "text/plain");
        }
        if (path.size() == 4 && path[3] == "links" && method == verb::post) {
            co_return make_link(request, *file);
        }
    }
    co_return error(request, Status::method_not_allowed, "method_not_allowed",
                    "see the API in portal/README.md");
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace p2pls::portal
