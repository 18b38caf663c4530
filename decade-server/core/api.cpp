// Routes and single operations of the DECADE API; POST /v1/batch is in batch.cpp.
#include "decade-server/core/api.hpp"

#include <sodium.h>

#include <charconv>

#include "common/core/http_path.hpp"
#include "common/core/proto_json.hpp"
#include "decade-module/core/object_name.hpp"
#include "decade-module/core/requests.hpp"
#include "decade-server/core/api_internal.hpp"
#include "decade-server/core/client_address.hpp"

namespace p2pls::decade_server {
namespace {

constexpr std::string_view kMetricsType = "text/plain; version=0.0.4";

std::string_view bearer(std::string_view authorization) {
    constexpr std::string_view kPrefix = "Bearer ";
    if (authorization.size() <= kPrefix.size() ||
        authorization.substr(0, kPrefix.size()) != kPrefix) {
        return {};
    }
    return authorization.substr(kPrefix.size());
}

bool is_protobuf(std::string_view content_type) {
    return content_type.find(decade::kProtobufType) != std::string_view::npos;
}

ApiResponse method_not_allowed(std::string detail) {
    return error_response(HttpErrc::method_not_allowed, std::move(detail));
}

// A finished operation as a response; object bytes are charged to `egress_locker`.
ApiResponse respond(const OpResult& result, bool wants_protobuf, std::string egress_locker) {
    if (!result.ok()) {
        return error_response(result.http_error());
    }
    ApiResponse out;
    out.status = result.status;
    if (result.locker_status) {
        out.status = 200;
        if (wants_protobuf) {
            out.content_type = decade::kProtobufType;
            out.body = result.locker_status->SerializeAsString();
        } else {
            out.content_type = "application/json";
            out.body = to_json(*result.locker_status);
        }
        return out;
    }
    if (result.data || result.file.fd) {
        // The stored bytes themselves go out, shared with the store: no copy per GET. Or
        // the file the store keeps them in, sent from the page cache.
        out.content_type = "application/octet-stream";
        out.shared_body = result.data;
        out.file_body = result.file;
        const std::uint64_t size = result.data ? result.data->size() : result.file.size;
        out.part_offset = 0;
        out.part_length = size;
        if (result.range.kind == http::ByteRange::Kind::part) {
            out.part_offset = result.range.first;
            out.part_length = result.range.length;
            out.content_range = http::content_range(result.range, size);
        }
        out.egress.push_back({std::move(egress_locker), out.part_length});
    }
    return out;
}

ApiResponse handle_object(ServerCore& core, ApiRequest& request, const Caller& caller,
                          std::string_view locker, std::string_view name, UnixSeconds now) {
    if (request.method == "GET") {
        OpResult r = core.get(caller, locker, name, now, ServerCore::kNoByteLimit,
                              ObjectForm::file_if_stored, request.range);
        std::string egress_locker = std::move(r.locker);
        ApiResponse out = respond(r, false, std::move(egress_locker));
        if (r.status == 416) {
            out.content_range = http::content_range(r.range, r.object_size);
        }
        return out;
    }
    if (request.method == "DELETE") {
        return respond(core.remove(caller, locker, name, now), false, {});
    }
    if (request.method != "PUT" && request.method != "PATCH") {
        return method_not_allowed("use GET, PUT, PATCH or DELETE");
    }
    std::optional<std::uint32_t> ttl;
    if (const std::string_view text = request.ttl; !text.empty()) {
        std::uint32_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) {
            return error_response(HttpErrc::bad_ttl, "X-Decade-TTL must be seconds");
        }
        ttl = v;
    }
    if (request.method == "PATCH") {
        if (!request.body.empty()) {
            return error_response(HttpErrc::bad_body,
                                  "a refresh has no body: the new TTL is X-Decade-TTL");
        }
        return respond(core.refresh(caller, locker, name, ttl, now), false, {});
    }
    return respond(core.put(caller, locker, name, std::move(request.body), ttl, now), false, {});
}

ApiStep handle_remote_get(ServerCore& core, const ApiRequest& request, const Caller& caller,
                          std::string_view locker, UnixSeconds now) {
    auto pending = std::make_shared<PendingRequest>();
    decade_api::RemoteGetOp& op = pending->op;
    if (is_protobuf(request.content_type)) {
        if (!op.ParseFromString(request.body)) {
            return error_response(HttpErrc::bad_body, "body is not a RemoteGetOp");
        }
    } else if (auto problem = parse_json(request.body, op)) {
        return error_response(HttpErrc::bad_json, *problem);
    }
    if (op.locker().empty()) {
        op.set_locker(std::string(locker));
    }
    if (op.locker() != locker) {
        return error_response(HttpErrc::bad_request, "body locker differs from the path");
    }
    if (op.token().empty()) {
        op.set_token(std::string(caller.token));
    }
    pending->client_id = std::string(caller.client_id);
    RemoteGetStep step = core.begin_remote_get({op.token(), pending->client_id}, op, now);
    if (auto* fetch = std::get_if<RemoteFetch>(&step)) {
        return FetchAndResume{std::move(*fetch), std::move(pending)};
    }
    return respond(std::get<OpResult>(step), false, std::string(op.locker()));
}

ApiResponse handle_register(ServerCore& core, const ApiConfig& config, const ApiRequest& request) {
    const std::string_view key = bearer(request.authorization);
    const std::string& expected = config.operator_key;
    const bool authorised =
        config.dev_open || (!expected.empty() && key.size() == expected.size() &&
                            sodium_memcmp(key.data(), expected.data(), key.size()) == 0);
    if (!authorised) {
        return error_response(HttpErrc::operator_key_required,
                              "registering a locker needs the operator key");
    }
    const bool protobuf = is_protobuf(request.content_type);
    decade_api::RegisterLockerRequest body;
    if (protobuf) {
        if (!body.ParseFromString(request.body)) {
            return error_response(HttpErrc::bad_body, "body is not a RegisterLockerRequest");
        }
    } else if (!request.body.empty()) {
        if (auto problem = parse_json(request.body, body)) {
            return error_response(HttpErrc::bad_json, *problem);
        }
    }
    if (!config.random_bytes) {
        return error_response(HttpErrc::store_failed, "no randomness to draw a locker secret");
    }
    unsigned char id_bytes[9];
    config.random_bytes(id_bytes, sizeof id_bytes);
    char hex[sizeof id_bytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, id_bytes, sizeof id_bytes);
    decade::LockerSecret secret;
    config.random_bytes(secret.data(), secret.size());
    decade_api::RegisterLockerResponse out;
    const OpResult r = core.register_locker(body, std::string("l-") + hex, secret, out);
    if (!r.ok()) {
        return error_response(r.http_error());
    }
    ApiResponse reply;
    reply.status = 201;
    if (protobuf) {
        reply.content_type = decade::kProtobufType;
        reply.body = out.SerializeAsString();
    } else {
        reply.content_type = "application/json";
        reply.body = to_json(out);
    }
    return reply;
}

}  // namespace

ApiResponse error_response(const HttpError& error) {
    ApiResponse out;
    out.status = error.status;
    out.retry_after_s = error.retry_after_s;
    out.content_type = "application/json";
    out.body = error_json(error);
    return out;
}

ApiStep handle_request(ServerCore& core, const ApiConfig& config, ApiRequest request,
                       UnixSeconds now) {
    const auto path = http::path_segments(request.target);
    const std::string_view method = request.method;
    auto client = client_address(request.remote_address, request.client, config.trusted_proxies);
    if (!client) {
        return error_response(client.error());
    }
    std::string client_id = std::move(*client);
    std::string_view token = bearer(request.authorization);
    if (token.empty() && (method == "GET" || method == "HEAD")) {
        // An object read may carry its token in the URL instead (?token=...): for clients
        // that cannot set a header per URL, such as aria2 following a Metalink or a
        // BitTorrent client's web seed. Only reads: a URL ends up in logs and histories,
        // so what is handed out this way should be read-only and short-lived.
        token = http::query_param(http::query_string(request.target), "token").value_or("");
    }
    const Caller caller{token, client_id};

    if (path.size() == 1 && path[0] == "metrics") {
        if (method != "GET") {
            return method_not_allowed("use GET");
        }
        if (config.refresh_metrics) {
            config.refresh_metrics(core.metrics());
        }
        ApiResponse out;
        out.content_type = kMetricsType;
        out.body = core.render_metrics();
        return out;
    }
    if (path.size() < 2 || path[0] != "v1") {
        return error_response(HttpErrc::no_route, "no such endpoint");
    }
    if (path.size() == 2 && path[1] == "batch") {
        if (method != "POST") {
            return method_not_allowed("use POST");
        }
        return start_batch(core, config, std::move(request.body), std::move(client_id), now);
    }
    if (path.size() == 5 && path[1] == "seed") {
        // GET /v1/seed/{token}/{locker}/{name}: an object read with its token in the path,
        // for BitTorrent web seeds (BEP 19). Clients such as libtorrent refuse a web seed
        // on a local network whose URL has a query string (their SSRF mitigation), and a
        // DECADE server in an ISP's network is on one. Reads only, like ?token=.
        if (method != "GET") {
            return method_not_allowed("a web seed is read with GET");
        }
        const Caller seed{path[2], client_id};
        return handle_object(core, request, seed, path[3], path[4], now);
    }
    if (path[1] != "lockers") {
        return error_response(HttpErrc::no_route, "no such endpoint");
    }
    if (path.size() == 2) {
        if (method != "POST") {
            return method_not_allowed("use POST");
        }
        return handle_register(core, config, request);
    }
    const std::string_view locker = path[2];
    if (path.size() == 5 && path[3] == "objects") {
        return handle_object(core, request, caller, locker, path[4], now);
    }
    if (path.size() == 4 && path[3] == "status") {
        if (method != "GET") {
            return method_not_allowed("use GET");
        }
        return respond(core.status(caller, locker, now), is_protobuf(request.accept), {});
    }
    if (path.size() == 4 && path[3] == "remote-get") {
        if (method != "POST") {
            return method_not_allowed("use POST");
        }
        return handle_remote_get(core, request, caller, locker, now);
    }
    return error_response(HttpErrc::no_route, "no such endpoint");
}

ApiStep resume(ServerCore& core, const ApiConfig& config, FetchAndResume step, FetchOutcome fetched,
               UnixSeconds now) {
    std::shared_ptr<PendingRequest> pending = std::move(step.pending);
    if (pending == nullptr) {
        return error_response(HttpErrc::bad_request, "nothing to resume");
    }
    if (pending->batch) {
        return resume_batch(core, config, std::move(pending), std::move(fetched), now);
    }
    const decade_api::RemoteGetOp& op = pending->op;
    const OpResult r = core.finish_remote_get({op.token(), pending->client_id}, op, fetched, now);
    return respond(r, false, std::string(op.locker()));
}

}  // namespace p2pls::decade_server
