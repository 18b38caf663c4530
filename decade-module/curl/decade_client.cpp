#include "decade-module/curl/decade_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/curl/http_client.hpp"
#include "decade-module/core/requests.hpp"

namespace p2pls::decade {
namespace asio = boost::asio;

struct DecadeClient::Raw {
    CallStatus status;
    std::string body;
};

DecadeClient::DecadeClient(asio::io_context& io, ClientConfig config)
    : io_(io), config_(std::move(config)) {
    curl::ClientOptions options;
    const auto slots = static_cast<long>(std::max<std::size_t>(config_.slots_per_server, 1));
    options.max_connections_per_host = slots;
    options.max_idle_connections = slots;
    options.local_address = config_.local_address;
    options.ca_file = config_.ca_file;
    options.link_delays = config_.link_delays;
    options.user_agent = "p2pls-decade-module/0.1";
    http_ = std::make_unique<curl::HttpClient>(io_, options);
}

DecadeClient::~DecadeClient() = default;

void DecadeClient::cancel_all() {
    http_->cancel_all();
}

std::size_t DecadeClient::in_flight() const noexcept {
    return http_->in_flight();
}

Result<std::string> DecadeClient::generate_token(const LockerSecret& secret,
                                                 const TokenClaims& claims) {
    return decade::generate_token(secret, claims);
}

asio::awaitable<DecadeClient::Raw> DecadeClient::call(std::string server,
                                                      Result<RequestSpec> spec) {
    Raw raw;
    if (!spec) {
        raw.status.code = Errc::bad_request;
        raw.status.reason = "invalid_request";
        co_return raw;
    }
    while (!server.empty() && server.back() == '/') {
        server.pop_back();
    }
    curl::HttpRequest req;
    req.method = spec->method;
    req.url = server + spec->target;
    req.headers = std::move(spec->headers);
    if (!config_.client_id.empty()) {
        req.headers.emplace_back(std::string(kClientHeader), config_.client_id);
    }
    req.body = std::move(spec->body);
    req.timeout = config_.timeout;
    req.connect_timeout = config_.connect_timeout;
    req.max_response_bytes = config_.max_response_bytes;
    auto response = co_await http_->request(std::move(req));
    if (!response) {
        raw.status.code =
            response.error() == make_error_code(Errc::timeout) ? Errc::timeout : Errc::unavailable;
        raw.status.reason = response.error().message();
        co_return raw;
    }
    const auto retry = response->header("retry-after");
    raw.status = status_from_http(static_cast<unsigned>(response->status), response->body,
                                  retry.value_or(std::string_view{}));
    if (raw.status.ok()) {
        raw.body = std::move(response->body);
    }
    co_return raw;
}

asio::awaitable<GetReply> DecadeClient::get(std::string server, std::string locker,
                                            std::string name, std::string token) {
    Raw raw = co_await call(std::move(server), make_get(locker, name, token));
    co_return GetReply{std::move(raw.status), std::move(raw.body)};
}

asio::awaitable<CallStatus> DecadeClient::put(std::string server, std::string locker,
                                              std::string name, std::string data,
                                              std::uint32_t ttl_s, std::string token) {
    Raw raw =
        co_await call(std::move(server), make_put(locker, name, std::move(data), ttl_s, token));
    co_return std::move(raw.status);
}

asio::awaitable<CallStatus> DecadeClient::remove(std::string server, std::string locker,
                                                 std::string name, std::string token) {
    Raw raw = co_await call(std::move(server), make_delete(locker, name, token));
    co_return std::move(raw.status);
}

asio::awaitable<CallStatus> DecadeClient::refresh(std::string server, std::string locker,
                                                  std::string name, std::uint32_t ttl_s,
                                                  std::string token) {
    Raw raw = co_await call(std::move(server), make_refresh(locker, name, ttl_s, token));
    co_return std::move(raw.status);
}

asio::awaitable<StatusReply> DecadeClient::status(std::string server, std::string locker,
                                                  std::string token) {
    Raw raw = co_await call(std::move(server), make_status(locker, token));
    StatusReply reply{std::move(raw.status), {}};
    if (reply.status.ok() && !reply.locker.ParseFromString(raw.body)) {
        reply.status.code = Errc::message_malformed;
        reply.status.reason = "bad_status_body";
    }
    co_return reply;
}

asio::awaitable<GetReply> DecadeClient::remote_get(std::string server, decade_api::RemoteGetOp op) {
    Raw raw = co_await call(std::move(server), make_remote_get(op));
    co_return GetReply{std::move(raw.status), std::move(raw.body)};
}

asio::awaitable<BatchReply> DecadeClient::batch(std::string server,
                                                decade_api::BatchRequest batch) {
    const int ops = batch.ops_size();
    Raw raw = co_await call(std::move(server), make_batch(batch));
    BatchReply reply{std::move(raw.status), {}};
    if (reply.status.ok() &&
        (!reply.response.ParseFromString(raw.body) || reply.response.results_size() != ops)) {
        reply.status.code = Errc::message_malformed;
        reply.status.reason = "bad_batch_body";
        reply.response.Clear();
    }
    co_return reply;
}

asio::awaitable<std::vector<GetReply>> DecadeClient::get_many(std::string server,
                                                              std::vector<GetSpec> specs) {
    std::vector<GetReply> replies(specs.size());
    if (specs.empty()) {
        co_return replies;
    }
    // Plan with the core's policy: nothing urgent, all to one server, m slots.
    std::vector<PendingGet> pending;
    pending.reserve(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        pending.push_back({i, server, TimePoint::max(), 0});
    }
    BatchPolicy policy;
    policy.max_ops_per_batch = config_.max_ops_per_batch;
    policy.max_bytes_per_batch = UINT64_MAX;
    policy.urgent_within = Duration::zero();
    const std::size_t slots = std::max<std::size_t>(config_.slots_per_server, 1);
    while (!pending.empty()) {
        Plan plan = plan_requests(std::move(pending), {{server, slots}}, TimePoint{}, policy);
        pending = std::move(plan.deferred);
        // Run this round's batches concurrently; each slot carries one.
        auto remaining = std::make_shared<std::size_t>(plan.requests.size());
        asio::steady_timer done(io_, asio::steady_timer::time_point::max());
        for (auto& planned : plan.requests) {
            decade_api::BatchRequest request;
            for (const auto id : planned.ids) {
                auto* g = request.add_ops()->mutable_get();
                g->set_locker(specs[id].locker);
                g->set_name(specs[id].name);
                g->set_token(specs[id].token);
            }
            asio::co_spawn(
                io_,
                [this, server, request = std::move(request), ids = planned.ids, &replies, remaining,
                 &done]() mutable -> asio::awaitable<void> {
                    BatchReply reply = co_await batch(server, std::move(request));
                    for (std::size_t k = 0; k < ids.size(); ++k) {
                        GetReply& out = replies[ids[k]];
                        if (!reply.status.ok()) {
                            out.status = reply.status;
                            continue;
                        }
                        auto* result = reply.response.mutable_results(static_cast<int>(k));
                        out.status.http_status = result->status();
                        if (result->status() >= 300) {
                            out.status = status_from_http(
                                result->status(),
                                "{\"error\":\"" + result->error() + "\",\"detail\":\"\"}", "");
                        } else {
                            out.data = std::move(*result->mutable_data());
                        }
                    }
                    if (--*remaining == 0) {
                        done.cancel();
                    }
                },
                asio::detached);
        }
        if (*remaining > 0) {
            co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }
    co_return replies;
}

}  // namespace p2pls::decade
