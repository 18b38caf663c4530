// The DECADE Portal as an HTTP service (the draft's §6.1): publishers upload files, which
// are cut into slices and stored in the portal's lockers on the DECADE server zones; they
// mint download links; users follow a link and get a manifest (JSON or Metalink v4) whose
// URLs point at the zones an ALTO server ranks best for the user's address.
//
//   PUT    /v1/files/{name}            publisher key; the body streams (any size up to
//                                      max_file_bytes), X-Replication: r optional -> 201
//   GET    /v1/files                   publisher key; the publisher's files, where every
//                                      slice lives
//   DELETE /v1/files/{name}            publisher key -> 204; the slices are deleted
//   POST   /v1/files/{name}/links      publisher key; {"ttl_s": s, "byte_budget": b}
//                                      (both optional) -> {"url": ..., "expires_unix_s"}
//   GET    /v1/download/{grant}        anyone with the link; JSON manifest, Metalink with
//                                      ?format=metalink or Accept: application/metalink4+xml
//   GET    /metrics
//   GET    /, /portal.js, /portal.css  the publisher's page (web/portal/, compiled in)
//
// A file is listed (and its upload answered 201) only once every slice is stored and the
// catalog saved; an upload cut off, refused or failed leaves no listed file and deletes
// the slices it stored.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/core/metrics_registry.hpp"
#include "common/curl/http_client.hpp"
#include "common/http/body_stream.hpp"
#include "common/http/http_server.hpp"
#include "decade-module/curl/decade_client.hpp"
#include "portal/core/catalog.hpp"
#include "portal/core/grant.hpp"
#include "portal/core/publishers.hpp"
#include "portal/core/slicer.hpp"

namespace p2pls::portal {

// One DECADE server zone and the portal's locker on it.
struct Zone {
    std::string name;
    std::string url;      // the server's base URL, "http://127.0.1.1:8300"
    std::string address;  // its IP address for ALTO; empty: ranked after those with a cost
    std::string locker;
    decade::LockerSecret secret{};
};

struct PortalConfig {
    std::vector<Zone> zones;  // in this order when ALTO gives no ranking
    std::size_t replication = 2;
    std::size_t slice_bytes = kDefaultSliceBytes;
    std::uint64_t max_file_bytes = 64ULL << 30;
    std::string alto_url;    // the ALTO server's base URL; empty: no ranking
    std::string public_url;  // what links start with; empty: http://<bound address>
    std::uint32_t object_ttl_s = 7 * 24 * 3600;  // at most the servers' --max-ttl
    std::int64_t default_link_s = 24 * 3600;
    std::int64_t max_link_s = 30 * 24 * 3600;
    PortalKey key{};  // signs the download links
};

class PortalService {
  public:
    // Binds at once (throws boost::system::system_error when it cannot).
    PortalService(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
                  PortalConfig config, Publishers publishers, Catalog catalog,
                  http::ServerLimits limits = {});

    // Called with the catalog's text after every change; false: it could not be saved,
    // the change is undone and the request answered 503 (nothing is acknowledged unsaved).
    void on_catalog_changed(std::function<bool(const std::string&)> save) {
        save_ = std::move(save);
    }

    void start();
    void stop();
    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
    [[nodiscard]] const Catalog& catalog() const noexcept { return catalog_; }

  private:
    boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                  const http::RequestContext& context);
    boost::asio::awaitable<http::Response> upload(http::Request& header, http::BodyStream& body,
                                                  const http::RequestContext& context);
    boost::asio::awaitable<http::Response> download(http::Request& request, std::string_view grant,
                                                    const http::RequestContext& context);
    http::Response make_link(http::Request& request, const FileRecord& file);
    // Stores `slice` of file `id` on `replicas` zones (the next ones when one fails); the
    // zones that hold it, empty when none took it.
    boost::asio::awaitable<std::vector<std::string>> store(const std::string& id,
                                                           const Slice& slice,
                                                           std::size_t replicas);
    boost::asio::awaitable<void> delete_slices(const FileRecord& file);
    // Refreshes the TTL of the files whose copies expire soonest, for as long as they are
    // listed.
    boost::asio::awaitable<void> keep_slices_stored();
    boost::asio::awaitable<RefreshOutcome> refresh(FileRecord file);
    // The zones in the order ALTO ranks them for `client` (the configured order when ALTO
    // cannot say).
    boost::asio::awaitable<std::vector<std::size_t>> ranked_zones(std::string client);
    bool save();
    [[nodiscard]] const Zone* zone(std::string_view name) const;
    [[nodiscard]] std::optional<std::string> publisher_of(const http::Request& request) const;

    boost::asio::io_context& io_;
    PortalConfig config_;
    Publishers publishers_;
    Catalog catalog_;
    std::set<std::pair<std::string, std::string>> uploading_;  // (publisher, name)
    std::function<bool(const std::string&)> save_;
    bool stopping_ = false;
    boost::asio::steady_timer refresh_timer_;
    decade::DecadeClient decade_;
    curl::HttpClient alto_;
    MetricsRegistry metrics_;
    http::HttpServer server_;
};

}  // namespace p2pls::portal
