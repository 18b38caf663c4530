#include "decade-module/core/requests.hpp"

#include "decade-module/core/object_name.hpp"
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

}  // namespace p2pls::decade
