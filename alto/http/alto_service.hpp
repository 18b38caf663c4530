// The ALTO server on the shared Beast server (common/http): converts requests to the
// pure API (alto/core/alto_api.hpp) and back, adds /metrics, and swaps in new maps on a
// reload. One event loop: an ALTO answer is a lookup, and the maps are swapped on the
// same loop that reads them, so no request sees half a reload.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "alto/core/alto_maps.hpp"
#include "common/core/metrics_registry.hpp"
#include "common/http/http_server.hpp"

namespace p2pls::alto {

class AltoHttpService {
  public:
    // Binds `listen` at once (throws boost::system::system_error when it cannot).
    // `base_uri` is what the directory's resources are under; empty: http://<bound address>.
    AltoHttpService(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
                    AltoMaps maps, std::string base_uri, http::ServerLimits limits = {},
                    std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

    void start();
    void stop();
    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

    // From the loop's thread: later requests are answered from `maps`.
    void replace_maps(AltoMaps maps);
    // A reload whose file was refused: the old maps stay (counted in /metrics).
    void note_failed_reload();
    [[nodiscard]] const AltoMaps& maps() const noexcept { return *maps_; }

  private:
    boost::asio::awaitable<http::Response> handle(http::Request& request,
                                                  const http::RequestContext& context);
    [[nodiscard]] std::string metrics();

    std::unique_ptr<const AltoMaps> maps_;
    http::HttpServer server_;
    std::string base_uri_;
    MetricsRegistry registry_;
};

}  // namespace p2pls::alto
