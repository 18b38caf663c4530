#include "tracker/curl/tracker_client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <random>

#include "common/core/proto_json.hpp"
#include "common/curl/http_client.hpp"
#include "p2pls/http.pb.h"

namespace p2pls::tracker {

namespace asio = boost::asio;

struct TrackerClient::Impl {
    Impl(asio::io_context& io_, std::string url_, std::string channel_, TrackerClientOptions o)
        : io(io_),
          url(std::move(url_)),
          channel(std::move(channel_)),
          options(std::move(o)),
          http(io_, curl::ClientOptions{.max_connections_per_host = 2,
                                        .max_total_connections = 0,
                                        .local_address = options.local_address,
                                        .user_agent = "p2pls-tracker-client/0.1",
                                        .ca_file = options.ca_file}),
          wait(io_),
          loop_exit(io_),
          rng(std::hash<std::string>{}(url + "/" + channel)) {
        while (!url.empty() && url.back() == '/') {
            url.pop_back();
        }
    }

    asio::io_context& io;
    std::string url;
    std::string channel;
    TrackerClientOptions options;
    curl::HttpClient http;
    asio::steady_timer wait;       // between announces
    asio::steady_timer loop_exit;  // cancelled when the loop ends (stop() waits on it)
    std::mt19937_64 rng;           // backoff jitter only (seeded per peer in start())

    tracker_api::AnnounceRequest request;
    ReplyHandler on_reply;
    ErrorHandler on_error;
    bool running = false;
    bool stopping = false;
    bool in_flight = false;
    bool joined = false;  // some announce reached the tracker: owe it a `stopped`
    std::uint64_t ok = 0;
    std::uint32_t interval_s = 0;

    // One HTTP exchange with a JSON reply of type T; every failure becomes an HttpError
    // (status 0 for transport problems) with a readable detail.
    curl::HttpRequest make_request(std::string method, const std::string& target, std::string body,
                                   std::chrono::milliseconds timeout) const {
        curl::HttpRequest req;
        req.method = std::move(method);
        req.url = url + target;
        req.body = std::move(body);
        req.timeout = timeout;
        req.connect_timeout = std::min(timeout, std::chrono::milliseconds(3'000));
        req.max_response_bytes = 4 * 1024 * 1024;
        if (!req.body.empty()) {
            req.headers.emplace_back("Content-Type", "application/json");
        }
        return req;
    }

    [[nodiscard]] std::string announce_target() const {
        return "/v1/channels/" + channel + "/announce";
    }

    // Callers pass a named request: g++ 12 mishandles temporaries inside co_await.
    template <class T>
    asio::awaitable<Expected<T>> call(curl::HttpRequest req) {
        auto result = co_await http.request(std::move(req));
        if (!result) {
            co_return HttpError(HttpErrc::transport,
                                "tracker " + url + " unreachable: " + result.error().message());
        }
        const auto& response = *result;
        if (response.status != 200) {
            http_api::ErrorBody error;
            std::string detail;
            if (!parse_json(response.body, error)) {
                detail = error.detail().empty() ? error.error() : error.detail();
            } else {
                detail = response.body.substr(0, 200);
            }
            co_return HttpError::received(
                static_cast<unsigned>(response.status),
                error.error().empty() ? "http_" + std::to_string(response.status) : error.error(),
                "tracker answered " + std::to_string(response.status) + ": " + detail,
                retry_after_s(response));
        }
        T reply;
        if (auto why = parse_json(response.body, reply)) {
            co_return HttpError(HttpErrc::bad_reply, "tracker reply is not a valid " +
                                                         reply.GetTypeName() + ": " + *why);
        }
        co_return reply;
    }

    // Retry-After in seconds (the delta form; an HTTP date is not worth parsing here).
    static std::uint32_t retry_after_s(const curl::HttpResponse& response) {
        const auto value = response.header("retry-after");
        std::uint32_t s = 0;
        if (!value) {
            return 0;
        }
        const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), s);
        return ec == std::errc{} && end == value->data() + value->size() ? s : 0;
    }

    std::chrono::milliseconds jitter(std::chrono::milliseconds d) {
        std::uniform_real_distribution<double> f(0.8, 1.2);
        return std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(d.count()) * f(rng)));
    }

    static asio::awaitable<void> loop(std::shared_ptr<Impl> self) {
        auto backoff = self->options.initial_backoff;
        tracker_api::Event event = tracker_api::started;
        while (!self->stopping) {
            tracker_api::AnnounceRequest req = self->request;
            req.set_event(event);
            if (self->options.before_announce) {
                self->options.before_announce(req);
            }
            self->in_flight = true;
            auto http_request = self->make_request("POST", self->announce_target(), to_json(req),
                                                   self->options.request_timeout);
            auto reply =
                co_await self->call<tracker_api::AnnounceResponse>(std::move(http_request));
            self->in_flight = false;
            if (self->stopping) {
                break;
            }
            std::chrono::milliseconds next;
            const auto interval = self->interval_s > 0 ? std::chrono::seconds(self->interval_s)
                                                       : self->options.default_interval;
            if (reply) {
                self->joined = true;
                ++self->ok;
                self->interval_s = std::clamp<std::uint32_t>(reply->interval_s(), 1, 3600);
                event = tracker_api::heartbeat;
                backoff = self->options.initial_backoff;
                next = std::chrono::seconds(self->interval_s);
                if (self->on_reply) {
                    self->on_reply(*reply);
                }
            } else {
                const HttpError& e = reply.error();
                const bool client_error = e.status >= 400 && e.status < 500;
                if (e.status != 0) {
                    self->joined = true;  // it heard us
                }
                if (self->on_error) {
                    self->on_error(e.detail, static_cast<int>(e.status));
                }
                if (client_error) {
                    if (self->options.stop_on_client_error) {
                        break;
                    }
                    next = interval;
                } else {
                    next = self->jitter(backoff);
                    backoff = std::min(backoff * 2, self->options.max_backoff);
                    // A busy tracker says when to come back: no sooner (nor later than the
                    // backoff cap, whatever it says).
                    const std::chrono::milliseconds asked = std::chrono::seconds(e.retry_after_s);
                    next = std::max(next, std::min(asked, self->options.max_backoff));
                }
            }
            if (self->stopping) {
                break;
            }
            self->wait.expires_after(next);
            co_await self->wait.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        self->running = false;
        self->loop_exit.cancel();
    }
};

TrackerClient::TrackerClient(asio::io_context& io, std::string tracker_url, std::string channel,
                             TrackerClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(tracker_url), std::move(channel),
                                   std::move(options))) {}

TrackerClient::~TrackerClient() {
    impl_->stopping = true;
    impl_->on_reply = nullptr;
    impl_->on_error = nullptr;
    impl_->wait.cancel();
}

void TrackerClient::start(tracker_api::AnnounceRequest request, ReplyHandler on_reply,
                          ErrorHandler on_error) {
    impl_->request = std::move(request);
    impl_->on_reply = std::move(on_reply);
    impl_->on_error = std::move(on_error);
    if (impl_->running || impl_->stopping) {
        return;
    }
    impl_->running = true;
    // Jitter must differ between the peers of one channel, or they retry in lock-step
    // after a tracker restart: seed it with the peer id too.
    impl_->rng.seed(std::hash<std::string>{}(impl_->request.peer_id() + "@" + impl_->url + "/" +
                                             impl_->channel));
    impl_->loop_exit.expires_at(asio::steady_timer::time_point::max());
    asio::co_spawn(impl_->io, Impl::loop(impl_), asio::detached);
}

void TrackerClient::update(const std::function<void(tracker_api::AnnounceRequest&)>& edit) {
    edit(impl_->request);
}

void TrackerClient::announce_now() {
    if (impl_->running && !impl_->in_flight) {
        impl_->wait.cancel();
    }
}

asio::awaitable<void> TrackerClient::stop() {
    auto self = impl_;
    if (self->stopping) {
        co_return;
    }
    self->stopping = true;
    self->wait.cancel();
    if (self->running) {
        // An announce in flight finishes (bounded by request_timeout) before `stopped`
        // goes out, so that a late heartbeat cannot re-add us after we left.
        co_await self->loop_exit.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (self->joined) {
        tracker_api::AnnounceRequest req = self->request;
        req.set_event(tracker_api::stopped);
        if (self->options.before_announce) {
            self->options.before_announce(req);
        }
        auto http_request = self->make_request("POST", self->announce_target(), to_json(req),
                                               self->options.stop_timeout);
        (void)co_await self->call<tracker_api::AnnounceResponse>(std::move(http_request));
        self->joined = false;
    }
}

bool TrackerClient::running() const noexcept {
    return impl_->running;
}

std::uint64_t TrackerClient::announces_ok() const noexcept {
    return impl_->ok;
}

std::uint32_t TrackerClient::interval_s() const noexcept {
    return impl_->interval_s;
}

asio::awaitable<Expected<tracker_api::AnnounceResponse>> TrackerClient::announce_once(
    tracker_api::AnnounceRequest request) {
    auto self = impl_;
    auto http_request = self->make_request("POST", self->announce_target(), to_json(request),
                                           self->options.request_timeout);
    co_return co_await self->call<tracker_api::AnnounceResponse>(std::move(http_request));
}

asio::awaitable<Expected<tracker_api::ChannelList>> TrackerClient::list_channels() {
    auto self = impl_;
    auto http_request =
        self->make_request("GET", "/v1/channels", {}, self->options.request_timeout);
    co_return co_await self->call<tracker_api::ChannelList>(std::move(http_request));
}

asio::awaitable<Expected<tracker_api::ChannelInfo>> TrackerClient::channel_info() {
    auto self = impl_;
    auto http_request = self->make_request("GET", "/v1/channels/" + self->channel, {},
                                           self->options.request_timeout);
    co_return co_await self->call<tracker_api::ChannelInfo>(std::move(http_request));
}

asio::awaitable<Expected<tracker_api::DecadeServerInfo>> TrackerClient::register_decade_server(
    tracker_api::DecadeServerInfo server) {
    auto self = impl_;
    const std::string body = to_json(server);
    auto http_request =
        self->make_request("POST", "/v1/decade-servers", body, self->options.request_timeout);
    if (self->options.registration_key) {
        const std::int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
        http_request.headers.emplace_back(std::string(kRegistrationTimestampHeader),
                                          std::to_string(unix_ms));
        http_request.headers.emplace_back(
            std::string(kRegistrationProofHeader),
            make_registration_proof(*self->options.registration_key, unix_ms, body));
    }
    co_return co_await self->call<tracker_api::DecadeServerInfo>(std::move(http_request));
}

}  // namespace p2pls::tracker
