#include "tracker/http/tracker_service.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "common/core/registration_proof.hpp"
#include "tracker/core/api.hpp"

namespace p2pls::tracker {

namespace asio = boost::asio;

TimePoint steady_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

std::string_view header_of(const http::Request& request, std::string_view name) {
    const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
    if (it == request.end()) {
        return {};
    }
    const auto v = it->value();
    return {v.data(), v.size()};
}

http::ServerLimits with_body_cap(http::ServerLimits limits, const TrackerConfig& config) {
    // One byte over the core's cap reaches the core, which answers 413 with a JSON body.
    limits.max_body_bytes = std::max(limits.max_body_bytes, config.max_body_bytes + 1);
    return limits;
}

}  // namespace

TrackerService::TrackerService(asio::io_context& io, const asio::ip::tcp::endpoint& listen,
                               TrackerConfig config, std::uint64_t seed, http::ServerLimits limits,
                               std::shared_ptr<boost::asio::ssl::context> tls)
    : TrackerService(std::vector<asio::io_context*>{&io}, listen, std::move(config), seed, limits,
                     std::move(tls)) {}

TrackerService::TrackerService(std::vector<asio::io_context*> loops,
                               const asio::ip::tcp::endpoint& listen, TrackerConfig config,
                               std::uint64_t seed, http::ServerLimits limits,
                               std::shared_ptr<boost::asio::ssl::context> tls)
    : io_(*loops.at(0)),
      state_(config, seed),
      server_(
          loops, listen, with_body_cap(limits, config),
          [this](http::Request& request, const http::RequestContext& context) {
              return handle(request, context);
          },
          std::move(tls)),
      sweep_timer_(io_) {}

void TrackerService::start() {
    server_.start();
    asio::co_spawn(io_, sweep_loop(), asio::detached);
}

void TrackerService::stop() {
    stopped_ = true;
    sweep_timer_.cancel();
    server_.stop();
}

asio::ip::tcp::endpoint TrackerService::local_endpoint() const {
    return server_.local_endpoint();
}

asio::awaitable<http::Response> TrackerService::handle(http::Request& request,
                                                       const http::RequestContext& context) {
    const std::string remote = context.remote.address().to_string();
    const ApiRequest api{request.method_string(),
                         request.target(),
                         request.body(),
                         remote,
                         unix_now_ms(),
                         header_of(request, kRegistrationTimestampHeader),
                         header_of(request, kRegistrationProofHeader)};
    ApiResponse out;
    std::int64_t retry_after_s = 0;
    {
        const std::lock_guard lock(state_mutex_);
        out = handle_request(state_, api, steady_now());
        // Saved under the lock, so that two loops' bindings reach the file in order.
        if (state_.channel_keys().take_changed() && save_bindings_) {
            save_bindings_(state_.channel_keys().serialize());
        }
        retry_after_s = state_.config().interval.count();
    }
    if (out.status == 200 && request.target() == "/metrics") {
        // The transport's own figures, next to the core's.
        out.body +=
            "# HELP p2pls_tracker_http_connections Open HTTP connections.\n"
            "# TYPE p2pls_tracker_http_connections gauge\n"
            "p2pls_tracker_http_connections " +
            std::to_string(server_.open_connections()) +
            "\n"
            "# HELP p2pls_tracker_http_refused_total Connections refused (503) at a cap.\n"
            "# TYPE p2pls_tracker_http_refused_total counter\n"
            "p2pls_tracker_http_refused_total " +
            std::to_string(server_.refused_connections()) + "\n";
    }
    http::Response response = http::make_response(request, static_cast<http::Status>(out.status),
                                                  std::move(out.body), out.content_type);
    if (!out.allow.empty()) {
        response.set(boost::beast::http::field::allow, out.allow);
    }
    if (out.status == 503) {
        response.set(boost::beast::http::field::retry_after, std::to_string(retry_after_s));
    }
    co_return response;
}

asio::awaitable<void> TrackerService::sweep_loop() {
    // Reads expire lazily, so the sweep only bounds memory and keeps /metrics honest: run
    // at the next expiry, but at most once a second.
    while (!stopped_) {
        const TimePoint now = steady_now();
        TimePoint next = now + std::chrono::seconds(1);
        Duration interval{};
        {
            const std::lock_guard lock(state_mutex_);
            state_.expire(now);
            if (const auto at = state_.next_expiry()) {
                next = std::max(next, *at);
            }
            interval = state_.config().interval;
        }
        sweep_timer_.expires_after(std::min<Duration>(next - now, interval));
        co_await sweep_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace p2pls::tracker
