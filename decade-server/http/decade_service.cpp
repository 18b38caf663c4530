#include "decade-server/http/decade_service.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "decade-module/core/requests.hpp"

namespace p2pls::decade_server {
namespace asio = boost::asio;

namespace {

std::string_view header(const http::Request& request, std::string_view name) {
    const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
    return it == request.end() ? std::string_view{}
                               : std::string_view(it->value().data(), it->value().size());
}

std::string canonical(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
    }
    return address.to_string();
}

ApiConfig api_config(const ServiceOptions& options) {
    ApiConfig c;
    c.trusted_proxies = options.trusted_proxies;
    c.operator_key = options.operator_key;
    c.dev_open = options.dev_open;
    c.max_batch_ops = options.max_batch_ops;
    c.max_batch_remote_gets = options.max_batch_remote_gets;
    c.max_batch_response_bytes = options.max_batch_response_bytes;
    c.random_bytes = [](unsigned char* out, std::size_t size) { randombytes_buf(out, size); };
    return c;
}

}  // namespace

std::optional<std::string> canonical_address(std::string_view text) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(std::string(text), ec);
    if (ec) {
        return std::nullopt;
    }
    return canonical(address);
}

DecadeService::DecadeService(asio::io_context& io, ServerCore& core, ServiceOptions options)
    : DecadeService(std::vector<asio::io_context*>{&io}, core, std::move(options)) {}

DecadeService::DecadeService(std::vector<asio::io_context*> loops, ServerCore& core,
                             ServiceOptions options)
    : io_(*loops.at(0)),
      loops_(loops.size()),
      core_(core),
      options_(std::move(options)),
      api_(api_config(options_)),
      egress_(io_, options_.egress_bytes_per_s),
      // At most 4 connections to a peer server: its default slot count (m) per client.
      fetcher_(io_, curl::ClientOptions{.max_connections_per_host = 4,
                                        .max_total_connections = 64,
                                        .local_address = options_.local_address,
                                        .user_agent = "p2pls-decade-server/0.1",
                                        .ca_file = options_.ca_file,
                                        .link_delays = options_.link_delays}),
      sweep_timer_(io_) {
    api_.refresh_metrics = [this](MetricsRegistry& m) { refresh_metrics(m); };
}

void DecadeService::start() {
    arm_sweep();
}

void DecadeService::stop() {
    stopped_ = true;
    sweep_timer_.cancel();
    fetcher_.cancel_all();
}

void DecadeService::arm_sweep() {
    if (stopped_) {
        return;
    }
    sweep_timer_.expires_after(options_.sweep_every);
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        std::size_t n = 0;
        {
            const std::lock_guard lock(core_mutex_);
            n = core_.sweep(unix_now());
        }
        if (n > 0) {
            spdlog::debug("sweep: {} expired objects dropped", n);
        }
        arm_sweep();
    });
}

// GCC 12 takes the frames of the coroutines handle() awaits, once inlined, for a
// mismatched new/delete pair (a known false positive of -Wmismatched-new-delete with
// coroutines); asio allocates and frees them with its own matching operators.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
template <class T>
asio::awaitable<T> DecadeService::at_home(asio::awaitable<T> work) {
    if (loops_ == 1 || io_.get_executor().running_in_this_thread()) {
        co_return co_await std::move(work);
    }
    // The spawned coroutine runs on the home loop; its result (or exception) and our
    // cancellation cross back and forth through co_spawn.
    co_return co_await asio::co_spawn(io_, std::move(work), asio::use_awaitable);
}

asio::awaitable<http::Response> DecadeService::handle(http::Request& request,
                                                      const http::RequestContext& context) {
    const std::string remote = canonical(context.remote.address());
    // The header counts only from a trusted proxy (the core decides); written the same way
    // as the peer address so that a token's grantee compares equal either way.
    const std::string_view client_header = header(request, decade::kClientHeader);
    const std::string client =
        canonical_address(client_header).value_or(std::string(client_header));
    ApiRequest in;
    in.method = std::string_view(request.method_string().data(), request.method_string().size());
    in.target = std::string_view(request.target().data(), request.target().size());
    in.body = std::move(request.body());
    in.authorization = header(request, "Authorization");
    in.content_type = header(request, "Content-Type");
    in.accept = header(request, "Accept");
    in.ttl = header(request, decade::kTtlHeader);
    in.range = header(request, "Range");
    in.client = client;
    in.remote_address = remote;

    ApiStep step;
    {
        const std::lock_guard lock(core_mutex_);
        step = handle_request(core_, api_, std::move(in), unix_now());
    }
    while (auto* pending = std::get_if<FetchAndResume>(&step)) {
        step = co_await at_home(fetch_and_resume(std::move(*pending)));
    }
    ApiResponse out = std::get<ApiResponse>(std::move(step));
    for (const auto& charge : out.egress) {
        std::uint32_t share = 1;
        {
            const std::lock_guard lock(core_mutex_);
            share = core_.bandwidth_share(charge.locker);
        }
        co_await at_home(egress_.acquire(charge.locker, share, charge.bytes));
    }
    const auto status = static_cast<http::Status>(out.status);
    const bool object = out.file_body.fd || out.shared_body;
    http::Response response =
        out.file_body.fd
            ? http::make_file_response(
                  request, status, {std::move(out.file_body.fd), out.part_length, out.part_offset},
                  out.content_type)
        : out.shared_body
            ? http::make_shared_response(request, status, std::move(out.shared_body),
                                         out.content_type,
                                         std::pair{static_cast<std::size_t>(out.part_offset),
                                                   static_cast<std::size_t>(out.part_length)})
            : http::make_response(request, status, std::move(out.body), out.content_type);
    if (out.retry_after_s != 0) {
        response.set(boost::beast::http::field::retry_after, std::to_string(out.retry_after_s));
    }
    if (!out.content_range.empty()) {
        response.set(boost::beast::http::field::content_range, out.content_range);
    }
    if (object || status == http::Status::range_not_satisfiable) {
        // Objects are served by ranges too (web seeds, download tools resume with them).
        response.set(boost::beast::http::field::accept_ranges, "bytes");
    }
    co_return response;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

asio::awaitable<ApiStep> DecadeService::fetch_and_resume(FetchAndResume pending) {
    FetchOutcome outcome = co_await fetch(pending.fetch);
    const std::lock_guard lock(core_mutex_);
    co_return resume(core_, api_, std::move(pending), std::move(outcome), unix_now());
}

struct DecadeService::Flight {
    explicit Flight(asio::io_context& io, std::uint64_t max) : done(io), max_bytes(max) {
        done.expires_at(asio::steady_timer::time_point::max());
    }
    asio::steady_timer done;  // cancelled when `outcome` is set
    std::uint64_t max_bytes;
    std::optional<FetchOutcome> outcome;
};

asio::awaitable<FetchOutcome> DecadeService::fetch(const RemoteFetch& fetch) {
    const std::string key = fetch.key();
    std::shared_ptr<Flight> flight;
    bool joined = false;
    if (const auto it = flights_.find(key);
        it != flights_.end() && fetch.max_bytes <= it->second->max_bytes) {
        flight = it->second;
        joined = true;
        ++joined_fetches_;
    } else {
        flight = std::make_shared<Flight>(io_, fetch.max_bytes);
        if (it == flights_.end()) {
            flights_.emplace(key, flight);
        }
        asio::co_spawn(io_, fly(flight, fetch), asio::detached);
    }
    while (!flight->outcome) {
        const auto [ec] = co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!flight->outcome && ec == asio::error::operation_aborted) {
            // This asker was cancelled (its client hung up); the fetch goes on for the others.
            throw boost::system::system_error(asio::error::operation_aborted);
        }
    }
    FetchOutcome outcome = *flight->outcome;
    outcome.shared = joined;
    co_return outcome;
}

asio::awaitable<void> DecadeService::fly(std::shared_ptr<Flight> flight, RemoteFetch fetch) {
    flight->outcome = co_await fetch_once(fetch);
    flight->done.cancel();
    // The flight is forgotten only after its askers have stored what it brought (their
    // wake-ups are queued ahead of this): an asker arriving in between still shares it,
    // and one arriving later finds the copy already here (remote_copies.cpp).
    asio::post(io_, [this, flight, key = fetch.key()] {
        if (const auto f = flights_.find(key); f != flights_.end() && f->second == flight) {
            flights_.erase(f);
        }
    });
}

asio::awaitable<FetchOutcome> DecadeService::fetch_once(const RemoteFetch& fetch) {
    curl::HttpRequest req;
    req.method = "GET";
    req.url = fetch.url;
    if (!fetch.token.empty()) {
        req.headers.emplace_back("Authorization", "Bearer " + fetch.token);
    }
    req.timeout = options_.fetch_timeout;
    req.connect_timeout = std::min(options_.fetch_timeout, std::chrono::milliseconds(3000));
    req.max_response_bytes = fetch.max_bytes;
    auto response = co_await fetcher_.request(std::move(req));
    FetchOutcome outcome;
    if (response) {
        outcome.http_status = static_cast<unsigned>(response->status);
        if (outcome.http_status == 200) {
            outcome.body = std::move(response->body);
        }
    } else {
        outcome.too_large = response.error() == Errc::body_too_large;
        outcome.failure = "fetch from remote server failed: " + response.error().message();
    }
    co_return outcome;
}

void DecadeService::refresh_metrics(MetricsRegistry& m) {
    if (server_ != nullptr) {
        m.gauge("decade_open_connections", "Open client connections")
            .set(static_cast<double>(server_->open_connections()));
        m.gauge("decade_active_requests", "Requests being processed, this one included")
            .set(static_cast<double>(server_->active_requests()));
        m.gauge("decade_refused_connections", "Connections refused with 503 (slot caps)")
            .set(static_cast<double>(server_->refused_connections()));
        m.gauge("decade_hung_up_requests",
                "Requests whose client hung up before the answer (their work withdrawn)")
            .set(static_cast<double>(server_->hung_up_requests()));
        const auto admitted = server_->admitted_per_loop();
        for (std::size_t i = 0; i < admitted.size(); ++i) {
            m.gauge("decade_admitted_connections", "Connections admitted, per event loop",
                    {{"loop", std::to_string(i)}})
                .set(static_cast<double>(admitted[i]));
        }
    }
    m.gauge("decade_joined_remote_fetches",
            "Remote Gets that shared a copy another asker's Remote Get was fetching")
        .set(static_cast<double>(joined_fetches_.load()));
    const auto egress = egress_.stats();
    m.gauge("decade_egress_waiting", "Responses waiting for the egress cap")
        .set(static_cast<double>(egress.waiting));
    for (const auto& [locker, bytes] : egress.granted_bytes) {
        m.gauge("decade_egress_granted_bytes", "Bytes granted by the egress cap, per locker",
                {{"locker", locker}})
            .set(static_cast<double>(bytes));
    }
}

}  // namespace p2pls::decade_server
