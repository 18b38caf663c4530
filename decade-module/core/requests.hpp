// Request building for the DECADE HTTP API (DESIGN.md §3 "DECADE"): pure functions from
// an operation to the method, target, headers and body that the curl adapter sends, so
// that the API's shape is written once and unit-tested without a socket.
//
//   Put_Object     PUT    /v1/lockers/{l}/objects/{name}   body = bytes, X-Decade-TTL: s
//   Get_Object     GET    /v1/lockers/{l}/objects/{name}
//   Delete_Object  DELETE /v1/lockers/{l}/objects/{name}
//   Refresh_Object PATCH  /v1/lockers/{l}/objects/{name}   no body, X-Decade-TTL: s
//   Remote Get     POST   /v1/lockers/{l}/remote-get       body = decade_api::RemoteGetOp
//   Status_Query   GET    /v1/lockers/{l}/status           (protobuf LockerStatus when
//                                                          Accept: application/x-protobuf)
//   batch          POST   /v1/batch                        decade_api::BatchRequest
// Tokens ride in "Authorization: Bearer <token>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/errc.hpp"

namespace p2pls::decade_api {
class BatchRequest;
class RemoteGetOp;
}  // namespace p2pls::decade_api

namespace p2pls::decade {

inline constexpr std::string_view kProtobufType = "application/x-protobuf";
inline constexpr std::string_view kTtlHeader = "X-Decade-TTL";
inline constexpr std::string_view kClientHeader = "X-Decade-Client";

struct RequestSpec {
    std::string method;  // "GET", "PUT", "DELETE", "POST"
    std::string target;  // path only, e.g. "/v1/lockers/alice/objects/chan-7"
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

std::string object_target(std::string_view locker, std::string_view name);

// Each fails with bad_request when a locker id or object name is not valid
// (decade-module/core/object_name.hpp), so nothing unescaped reaches a URL.
Result<RequestSpec> make_get(std::string_view locker, std::string_view name,
                             std::string_view token);
Result<RequestSpec> make_put(std::string_view locker, std::string_view name, std::string data,
                             std::uint32_t ttl_s, std::string_view token);
Result<RequestSpec> make_delete(std::string_view locker, std::string_view name,
                                std::string_view token);
Result<RequestSpec> make_refresh(std::string_view locker, std::string_view name,
                                 std::uint32_t ttl_s, std::string_view token);
Result<RequestSpec> make_status(std::string_view locker, std::string_view token);
Result<RequestSpec> make_remote_get(const decade_api::RemoteGetOp& op);
RequestSpec make_batch(const decade_api::BatchRequest& batch);

// What a server's answer (an HTTP status, or one batch op's) means to a client, given the
// error code it carried ("token_expired", "remote_busy", ...): ok for 2xx; busy for 503;
// the token error named, when the status is the one it travels with (401 or 403); not_found,
// quota_exceeded, token_bad_mac (401/403 without a known code), bad_request (other 4xx);
// unavailable otherwise. The client library and the simulator both read answers with it.
Errc errc_for_answer(unsigned http_status, std::string_view reason);

}  // namespace p2pls::decade
