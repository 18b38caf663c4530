#include "decade-module/core/requests.hpp"

#include "decade-module/core/object_name.hpp"
#include "decade-module/core/token.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade {
namespace {

void add_auth(RequestSpec& spec, std::string_view token) {
    if (!token.empty()) {
        spec.headers.emplace_back("Authorization", "Bearer " + std::string(token));
    }
}

Result<RequestSpec> object_request(std::string method, std::string_view locker,
                                   std::string_view name, std::string_view token) {
    if (!is_valid_locker_id(locker) || !is_valid_object_name(name)) {
        return Errc::bad_request;
    }
    RequestSpec spec;
    spec.method = std::move(method);
    spec.target = object_target(locker, name);
    add_auth(spec, token);
    return spec;
}

}  // namespace

std::string object_target(std::string_view locker, std::string_view name) {
    std::string target = "/v1/lockers/";
    target.append(locker).append("/objects/").append(name);
    return target;
}

Result<RequestSpec> make_get(std::string_view locker, std::string_view name,
                             std::string_view token) {
    return object_request("GET", locker, name, token);
}

Result<RequestSpec> make_put(std::string_view locker, std::string_view name, std::string data,
                             std::uint32_t ttl_s, std::string_view token) {
    auto spec = object_request("PUT", locker, name, token);
    if (spec) {
        spec->headers.emplace_back(std::string(kTtlHeader), std::to_string(ttl_s));
        spec->headers.emplace_back("Content-Type", "application/octet-stream");
        spec->body = std::move(data);
    }
    return spec;
}

Result<RequestSpec> make_delete(std::string_view locker, std::string_view name,
                                std::string_view token) {
    return object_request("DELETE", locker, name, token);
}

Result<RequestSpec> make_refresh(std::string_view locker, std::string_view name,
                                 std::uint32_t ttl_s, std::string_view token) {
    auto spec = object_request("PATCH", locker, name, token);
    if (spec) {
        spec->headers.emplace_back(std::string(kTtlHeader), std::to_string(ttl_s));
    }
    return spec;
}

Result<RequestSpec> make_status(std::string_view locker, std::string_view token) {
    if (!is_valid_locker_id(locker)) {
        return Errc::bad_request;
    }
    RequestSpec spec;
    spec.method = "GET";
    spec.target = "/v1/lockers/" + std::string(locker) + "/status";
    spec.headers.emplace_back("Accept", std::string(kProtobufType));
    add_auth(spec, token);
    return spec;
}

Result<RequestSpec> make_remote_get(const decade_api::RemoteGetOp& op) {
    if (!is_valid_locker_id(op.locker()) || !is_valid_locker_id(op.remote_locker()) ||
        !is_valid_object_name(op.remote_name()) ||
        (!op.name().empty() && !is_valid_object_name(op.name()))) {
        return Errc::bad_request;
    }
    RequestSpec spec;
    spec.method = "POST";
    spec.target = "/v1/lockers/" + op.locker() + "/remote-get";
    spec.headers.emplace_back("Content-Type", std::string(kProtobufType));
    add_auth(spec, op.token());
    spec.body = op.SerializeAsString();
    return spec;
}

RequestSpec make_batch(const decade_api::BatchRequest& batch) {
    RequestSpec spec;
    spec.method = "POST";
    spec.target = "/v1/batch";
    spec.headers.emplace_back("Content-Type", std::string(kProtobufType));
    spec.headers.emplace_back("Accept", std::string(kProtobufType));
    spec.body = batch.SerializeAsString();
    return spec;
}

Errc errc_for_answer(unsigned http_status, std::string_view reason) {
    static const std::pair<std::string_view, Errc> kTokenReasons[] = {
        {"token_malformed", Errc::token_malformed},
        {"token_bad_mac", Errc::token_bad_mac},
        {"token_expired", Errc::token_expired},
        {"token_not_yet_valid", Errc::token_not_yet_valid},
        {"token_wrong_locker", Errc::token_wrong_locker},
        {"token_wrong_op", Errc::token_wrong_op},
        {"token_out_of_scope", Errc::token_out_of_scope},
        {"token_budget_exhausted", Errc::token_budget_exhausted},
        {"token_wrong_grantee", Errc::token_wrong_grantee},
    };
    if (http_status >= 200 && http_status < 300) {
        return Errc::ok;
    }
    if (http_status == 503 && reason.find("remote") == std::string_view::npos) {
        return Errc::busy;  // the server's own slots
    }
    // A token error only with the status it travels with: a reason alone (say, in a 404 or
    // a 500) is a server's text, not its verdict.
    for (const auto& [name, code] : kTokenReasons) {
        if (reason == name && token_error_status(code) == http_status) {
            return code;
        }
    }
    if (http_status == 404) {
        return Errc::not_found;
    }
    if (http_status == 507) {
        return Errc::quota_exceeded;
    }
    if (http_status == 401 || http_status == 403) {
        return Errc::token_bad_mac;  // refused without a reason we know
    }
    if (http_status >= 400 && http_status < 500) {
        return Errc::bad_request;
    }
    if (http_status == 503) {
        return Errc::busy;  // a remote server's
    }
    return Errc::unavailable;
}

}  // namespace p2pls::decade
