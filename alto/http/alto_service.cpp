#include "alto/http/alto_service.hpp"

#include <boost/beast/http/field.hpp>
#include <string_view>

#include "alto/core/alto_api.hpp"

namespace p2pls::alto {

namespace asio = boost::asio;

namespace {

std::string_view header_of(const http::Request& request, boost::beast::http::field name) {
    const auto it = request.find(name);
    if (it == request.end()) {
        return {};
    }
    return {it->value().data(), it->value().size()};
}

std::string default_base(const asio::ip::tcp::endpoint& bound, bool tls) {
    const auto address = bound.address();
    const std::string host =
        address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(bound.port());
}

// A metrics label for the path: one of the API's, or "other", so that a client cannot grow
// the registry with paths of its own.
std::string_view path_label(std::string_view target) {
    const auto path = target.substr(0, target.find('?'));
    for (const std::string_view known :
         {"/", "/directory", "/networkmap", "/costmap/num/routingcost", "/costmap/ord/routingcost",
          "/costmap/filtered", "/endpointcost/lookup", "/metrics"}) {
        if (path == known) {
            return known;
        }
    }
    return "other";
}

}  // namespace

AltoHttpService::AltoHttpService(asio::io_context& io, const asio::ip::tcp::endpoint& listen,
                                 AltoMaps maps, std::string base_uri, http::ServerLimits limits,
                                 std::shared_ptr<asio::ssl::context> tls)
    : maps_(std::make_unique<const AltoMaps>(std::move(maps))),
      server_(
          io, listen, limits,
          [this](http::Request& request, const http::RequestContext& context) {
              return handle(request, context);
          },
          std::move(tls)),
      base_uri_(std::move(base_uri)) {
    if (base_uri_.empty()) {
        base_uri_ = default_base(server_.local_endpoint(), server_.serves_tls());
    }
    while (!base_uri_.empty() && base_uri_.back() == '/') {
        base_uri_.pop_back();
    }
    registry_.counter("p2pls_alto_reloads_total", "Maps files loaded after a SIGHUP.");
    registry_.counter("p2pls_alto_reload_failures_total",
                      "Maps files refused on a SIGHUP (the old maps stay).");
}

void AltoHttpService::start() {
    server_.start();
}

void AltoHttpService::stop() {
    server_.stop();
}

asio::ip::tcp::endpoint AltoHttpService::local_endpoint() const {
    return server_.local_endpoint();
}

void AltoHttpService::replace_maps(AltoMaps maps) {
    maps_ = std::make_unique<const AltoMaps>(std::move(maps));
    registry_.counter("p2pls_alto_reloads_total", "Maps files loaded after a SIGHUP.").inc();
}

void AltoHttpService::note_failed_reload() {
    registry_
        .counter("p2pls_alto_reload_failures_total",
                 "Maps files refused on a SIGHUP (the old maps stay).")
        .inc();
}

std::string AltoHttpService::metrics() {
    registry_.gauge("p2pls_alto_pids", "PIDs in the network map.")
        .set(static_cast<double>(maps_->network.pids().size()));
    registry_.gauge("p2pls_alto_http_connections", "Open HTTP connections.")
        .set(static_cast<double>(server_.open_connections()));
    registry_.counter("p2pls_alto_http_refused_total", "Connections refused (503) at a cap.")
        .set(static_cast<double>(server_.refused_connections()));
    return registry_.render();
}

asio::awaitable<http::Response> AltoHttpService::handle(http::Request& request,
                                                        const http::RequestContext& context) {
    const std::string client = context.remote.address().to_string();
    std::string_view path = request.target();
    AltoResponse out;
    if (path_label(path) == "/metrics") {
        out = {200, "text/plain; version=0.0.4; charset=utf-8", {}, {}};
        if (request.method_string() != "GET") {
            out = {405, "text/plain; charset=utf-8", "/metrics answers GET\n", "GET"};
        }
    } else {
        const AltoRequest in{request.method_string(),
                             request.target(),
                             header_of(request, boost::beast::http::field::content_type),
                             header_of(request, boost::beast::http::field::accept),
                             request.body(),
                             client};
        out = handle_alto_request({*maps_, base_uri_}, in);
    }
    registry_
        .counter("p2pls_alto_requests_total", "Requests answered, by path and status.",
                 {{"path", std::string(path_label(path))}, {"code", std::to_string(out.status)}})
        .inc();
    if (path_label(path) == "/metrics" && out.status == 200) {
        out.body = metrics();
    }
    http::Response response = http::make_response(request, static_cast<http::Status>(out.status),
                                                  std::move(out.body), out.content_type);
    if (!out.allow.empty()) {
        response.set(boost::beast::http::field::allow, out.allow);
    }
    co_return response;
}

}  // namespace p2pls::alto
