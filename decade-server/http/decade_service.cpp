#include "decade-server/http/decade_service.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "common/core/proto_json.hpp"
#include "decade-module/core/object_name.hpp"
#include "decade-module/core/requests.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

std::string_view header(const http::Request& request, std::string_view name) {
    const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
    return it == request.end() ? std::string_view{}
                               : std::string_view(it->value().data(), it->value().size());
}

std::string_view bearer(const http::Request& request) {
    const std::string_view auth = header(request, "Authorization");
    constexpr std::string_view kPrefix = "Bearer ";
    if (auth.size() <= kPrefix.size() || auth.substr(0, kPrefix.size()) != kPrefix) {
        return {};
    }
    return auth.substr(kPrefix.size());
}

bool wants_protobuf(const http::Request& request) {
    return header(request, "Accept").find(decade::kProtobufType) != std::string_view::npos;
}

bool is_protobuf(const http::Request& request) {
    return header(request, "Content-Type").find(decade::kProtobufType) != std::string_view::npos;
}

http::Response error(const http::Request& request, unsigned status, std::string_view code,
                     std::string_view detail) {
    return http::make_error_response(request, static_cast<http::Status>(status), code, detail);
}

void fill(decade_api::OperationResult& out, const OpResult& r) {
    out.set_status(r.status);
    out.set_error(r.error);
    if (r.data) {
        out.set_data(*r.data);
    }
    if (r.locker_status) {
        *out.mutable_locker_status() = *r.locker_status;
    }
}

}  // namespace

DecadeService::DecadeService(asio::io_context& io, ServerCore& core, ServiceOptions options)
    : io_(io),
      core_(core),
      options_(std::move(options)),
      egress_(io, options_.egress_bytes_per_s),
      // At most 4 connections to a peer server: its default slot count (m) per client.
      fetcher_(io, curl::ClientOptions{.max_connections_per_host = 4,
                                       .max_total_connections = 64,
                                       .local_address = options_.local_address,
                                       .user_agent = "p2pls-decade-server/0.1"}),
      sweep_timer_(io) {}

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
        if (const auto n = core_.sweep(unix_now()); n > 0) {
            spdlog::debug("sweep: {} expired objects dropped", n);
        }
        arm_sweep();
    });
}

http::Response DecadeService::respond(const http::Request& request, const OpResult& result) {
    if (!result.ok()) {
        return error(request, result.status, result.error, result.detail);
    }
    if (result.locker_status) {
        if (wants_protobuf(request)) {
            return http::make_response(request, http::Status::ok,
                                       result.locker_status->SerializeAsString(),
                                       decade::kProtobufType);
        }
        return http::make_json_response(request, http::Status::ok, to_json(*result.locker_status));
    }
    if (result.data) {
        // The stored bytes themselves go out, shared with the store: no copy per GET.
        return http::make_shared_response(request, static_cast<http::Status>(result.status),
                                          result.data, "application/octet-stream");
    }
    return http::make_response(request, static_cast<http::Status>(result.status), {}, {});
}

asio::awaitable<http::Response> DecadeService::handle(http::Request& request,
                                                      const http::RequestContext& context) {
    const std::string target(request.target().data(), request.target().size());
    const auto path = http::path_segments(target);
    const auto method = request.method();
    std::string client_id(header(request, decade::kClientHeader));
    if (client_id.empty() || client_id.size() > decade::kMaxGranteeBytes) {
        client_id = context.remote.address().to_string();
    }
    const Caller caller{bearer(request), client_id};

    if (path.size() == 1 && path[0] == "metrics") {
        if (method != bhttp::verb::get) {
            co_return error(request, 405, "method_not_allowed", "use GET");
        }
        co_return http::make_response(request, http::Status::ok, metrics_text(),
                                      "text/plain; version=0.0.4");
    }
    if (path.size() < 2 || path[0] != "v1") {
        co_return error(request, 404, "no_route", "no such endpoint");
    }
    if (path.size() == 2 && path[1] == "batch") {
        if (method != bhttp::verb::post) {
            co_return error(request, 405, "method_not_allowed", "use POST");
        }
        co_return co_await handle_batch(request, client_id);
    }
    if (path[1] != "lockers") {
        co_return error(request, 404, "no_route", "no such endpoint");
    }
    if (path.size() == 2) {
        if (method != bhttp::verb::post) {
            co_return error(request, 405, "method_not_allowed", "use POST");
        }
        co_return handle_register(request);
    }
    const std::string_view locker = path[2];
    if (path.size() == 5 && path[3] == "objects") {
        co_return co_await handle_object(request, caller, locker, path[4]);
    }
    if (path.size() == 4 && path[3] == "status") {
        if (method != bhttp::verb::get) {
            co_return error(request, 405, "method_not_allowed", "use GET");
        }
        co_return respond(request, core_.status(caller, locker, unix_now()));
    }
    if (path.size() == 4 && path[3] == "remote-get") {
        if (method != bhttp::verb::post) {
            co_return error(request, 405, "method_not_allowed", "use POST");
        }
        co_return co_await handle_remote_get(request, caller, locker);
    }
    co_return error(request, 404, "no_route", "no such endpoint");
}

asio::awaitable<http::Response> DecadeService::handle_object(http::Request& request,
                                                             const Caller& caller,
                                                             std::string_view locker,
                                                             std::string_view name) {
    const UnixSeconds now = unix_now();
    switch (request.method()) {
        case bhttp::verb::get: {
            OpResult r = core_.get(caller, locker, name, now);
            if (r.ok() && r.data) {
                co_await egress_.acquire(r.locker, core_.bandwidth_share(r.locker), r.data->size());
            }
            co_return respond(request, r);
        }
        case bhttp::verb::put: {
            std::optional<std::uint32_t> ttl;
            const std::string_view ttl_text = header(request, decade::kTtlHeader);
            if (!ttl_text.empty()) {
                std::uint32_t v = 0;
                const auto [end, ec] =
                    std::from_chars(ttl_text.data(), ttl_text.data() + ttl_text.size(), v);
                if (ec != std::errc{} || end != ttl_text.data() + ttl_text.size()) {
                    co_return error(request, 400, "bad_ttl", "X-Decade-TTL must be seconds");
                }
                ttl = v;
            }
            co_return respond(request,
                              core_.put(caller, locker, name, std::move(request.body()), ttl, now));
        }
        case bhttp::verb::delete_:
            co_return respond(request, core_.remove(caller, locker, name, now));
        default:
            co_return error(request, 405, "method_not_allowed", "use GET, PUT or DELETE");
    }
}

asio::awaitable<OpResult> DecadeService::remote_get(const Caller& caller,
                                                    const decade_api::RemoteGetOp& op) {
    RemoteGetStep step = core_.begin_remote_get(caller, op, unix_now());
    if (auto* done = std::get_if<OpResult>(&step)) {
        co_return std::move(*done);
    }
    const RemoteFetch& fetch = std::get<RemoteFetch>(step);
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
        outcome.failure = "fetch from remote server failed: " + response.error().message();
    }
    co_return core_.finish_remote_get(caller, op, outcome, unix_now());
}

asio::awaitable<http::Response> DecadeService::handle_remote_get(http::Request& request,
                                                                 const Caller& caller,
                                                                 std::string_view locker) {
    decade_api::RemoteGetOp op;
    if (is_protobuf(request)) {
        if (!op.ParseFromString(request.body())) {
            co_return error(request, 400, "bad_body", "body is not a RemoteGetOp");
        }
    } else if (auto problem = parse_json(request.body(), op)) {
        co_return error(request, 400, "bad_json", *problem);
    }
    if (op.locker().empty()) {
        op.set_locker(std::string(locker));
    }
    if (op.locker() != locker) {
        co_return error(request, 400, "bad_request", "body locker differs from the path");
    }
    if (op.token().empty()) {
        op.set_token(std::string(caller.token));
    }
    const Caller c{op.token(), caller.client_id};
    OpResult r = co_await remote_get(c, op);
    if (r.ok() && r.data) {
        co_await egress_.acquire(op.locker(), core_.bandwidth_share(op.locker()), r.data->size());
    }
    co_return respond(request, r);
}

asio::awaitable<http::Response> DecadeService::handle_batch(http::Request& request,
                                                            std::string_view client_id) {
    decade_api::BatchRequest batch;
    if (!batch.ParseFromString(request.body())) {
        co_return error(request, 400, "bad_body", "body is not a BatchRequest");
    }
    if (static_cast<std::size_t>(batch.ops_size()) > options_.max_batch_ops) {
        co_return error(request, 400, "batch_too_large",
                        "at most " + std::to_string(options_.max_batch_ops) + " operations");
    }
    // Remote Gets wait on other servers: a few per batch, so that one batch cannot hold a
    // slot for minutes.
    const auto remote_gets =
        std::count_if(batch.ops().begin(), batch.ops().end(),
                      [](const decade_api::Operation& op) { return op.has_remote_get(); });
    if (static_cast<std::size_t>(remote_gets) > options_.max_batch_remote_gets) {
        co_return error(
            request, 400, "batch_too_large",
            "at most " + std::to_string(options_.max_batch_remote_gets) + " remote gets per batch");
    }
    decade_api::BatchResponse response;
    std::map<std::string, std::uint64_t> egress_bytes;
    std::uint64_t response_bytes = 0;
    for (auto& operation : *batch.mutable_ops()) {
        const UnixSeconds now = unix_now();
        OpResult r;
        switch (operation.op_case()) {
            case decade_api::Operation::kGet: {
                const auto& g = operation.get();
                r = core_.get({g.token(), client_id}, g.locker(), g.name(), now);
                break;
            }
            case decade_api::Operation::kPut: {
                auto* p = operation.mutable_put();
                r = core_.put({p->token(), client_id}, p->locker(), p->name(),
                              std::move(*p->mutable_data()),
                              p->ttl_s() == 0 ? std::nullopt : std::optional(p->ttl_s()), now);
                break;
            }
            case decade_api::Operation::kDel: {
                const auto& d = operation.del();
                r = core_.remove({d.token(), client_id}, d.locker(), d.name(), now);
                break;
            }
            case decade_api::Operation::kStatus: {
                const auto& s = operation.status();
                r = core_.status({s.token(), client_id}, s.locker(), now);
                break;
            }
            case decade_api::Operation::kRemoteGet: {
                const auto& op = operation.remote_get();
                r = co_await remote_get({op.token(), client_id}, op);
                if (r.ok()) {
                    r.locker = op.locker();
                }
                break;
            }
            default:
                r = error_result(HttpErrc::bad_request, "empty operation");
        }
        if (r.ok() && r.data) {
            if (response_bytes + r.data->size() > options_.max_batch_response_bytes) {
                // Bounded memory per response: the rest are refused, the caller re-asks.
                r = error_result(HttpErrc::batch_response_too_large,
                                 "the batch's objects exceed the response cap; ask again");
            } else {
                response_bytes += r.data->size();
                egress_bytes[r.locker] += r.data->size();
            }
        }
        fill(*response.add_results(), r);
    }
    for (const auto& [locker, bytes] : egress_bytes) {
        co_await egress_.acquire(locker, core_.bandwidth_share(locker), bytes);
    }
    co_return http::make_response(request, http::Status::ok, response.SerializeAsString(),
                                  decade::kProtobufType);
}

http::Response DecadeService::handle_register(http::Request& request) {
    const std::string_view key = bearer(request);
    const bool authorised =
        options_.dev_open ||
        (!options_.operator_key.empty() && key.size() == options_.operator_key.size() &&
         sodium_memcmp(key.data(), options_.operator_key.data(), key.size()) == 0);
    if (!authorised) {
        return error(request, 401, "operator_key_required",
                     "registering a locker needs the operator key");
    }
    decade_api::RegisterLockerRequest body;
    if (is_protobuf(request)) {
        if (!body.ParseFromString(request.body())) {
            return error(request, 400, "bad_body", "body is not a RegisterLockerRequest");
        }
    } else if (!request.body().empty()) {
        if (auto problem = parse_json(request.body(), body)) {
            return error(request, 400, "bad_json", *problem);
        }
    }
    unsigned char id_bytes[9];
    randombytes_buf(id_bytes, sizeof id_bytes);
    char hex[sizeof id_bytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, id_bytes, sizeof id_bytes);
    decade::LockerSecret secret;
    randombytes_buf(secret.data(), secret.size());
    decade_api::RegisterLockerResponse out;
    const OpResult r = core_.register_locker(body, std::string("l-") + hex, secret, out);
    if (!r.ok()) {
        return error(request, r.status, r.error, r.detail);
    }
    if (is_protobuf(request)) {
        return http::make_response(request, http::Status::created, out.SerializeAsString(),
                                   decade::kProtobufType);
    }
    return http::make_json_response(request, http::Status::created, to_json(out));
}

std::string DecadeService::metrics_text() {
    auto& m = core_.metrics();
    if (server_ != nullptr) {
        m.gauge("decade_open_connections", "Open client connections")
            .set(static_cast<double>(server_->open_connections()));
        m.gauge("decade_refused_connections", "Connections refused with 503 (slot caps)")
            .set(static_cast<double>(server_->refused_connections()));
    }
    m.gauge("decade_egress_waiting", "Responses waiting for the egress cap")
        .set(static_cast<double>(egress_.scheduler().waiting()));
    for (const auto& [locker, bytes] : egress_.scheduler().granted_bytes()) {
        m.gauge("decade_egress_granted_bytes", "Bytes granted by the egress cap, per locker",
                {{"locker", locker}})
            .set(static_cast<double>(bytes));
    }
    return core_.render_metrics();
}

}  // namespace p2pls::decade_server
