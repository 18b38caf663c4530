// The DECADE server's HTTP API as a pure function (as tracker/core/api.hpp is for the
// tracker): method, target, the few headers it reads and the body in; status, content
// type and body out. Routing, body parsing, batch dispatch and every error body live here,
// so every path is tested without a socket; decade-server/http only converts to and from
// Beast and performs the effects below.
//
//   PUT    /v1/lockers/{l}/objects/{name}   Put_Object (X-Decade-TTL: seconds)
//   GET    /v1/lockers/{l}/objects/{name}   Get_Object (one Range of bytes: 206)
//   GET    /v1/seed/{token}/{l}/{name}       the same, the token in the path (web seeds)
//   DELETE /v1/lockers/{l}/objects/{name}   Delete_Object
//   PATCH  /v1/lockers/{l}/objects/{name}   Refresh_Object: no body, X-Decade-TTL: seconds
//   POST   /v1/lockers/{l}/remote-get       Remote Get (body: decade_api::RemoteGetOp)
//   GET    /v1/lockers/{l}/status           Status_Query (JSON; protobuf on Accept)
//   POST   /v1/batch                        BatchRequest -> BatchResponse (protobuf)
//   POST   /v1/lockers                      register a locker (operator key or dev-open)
//   GET    /metrics                         Prometheus text
// Errors are JSON http_api::ErrorBody (common/core/http_error.hpp); no error carries
// object bytes. A store that cannot read or write now answers 503 store_unavailable with
// a Retry-After, and the object stays.
//
// Effects. A request either completes here (an ApiResponse) or needs another server: then
// handle_request returns a FetchAndResume — GET `fetch.url` with `fetch.token` as bearer,
// then call resume() with what came back (a batch may ask several times, one fetch at a
// time). An ApiResponse lists the object bytes to pace through the egress cap
// (`egress`) before it is sent.
#pragma once

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/core/metrics_registry.hpp"
#include "common/core/time.hpp"
#include "decade-server/core/server_core.hpp"

namespace p2pls::decade_server {

struct ApiConfig {
    std::string operator_key;  // Bearer key for POST /v1/lockers; empty = none
    bool dev_open = false;     // POST /v1/lockers without a key (testbeds only)
    std::size_t max_batch_ops = 256;
    std::size_t max_batch_remote_gets = 16;                // they wait on other servers
    std::uint64_t max_batch_response_bytes = 64ULL << 20;  // object bytes in one answer
    // Canonical IP addresses whose X-Decade-Client header names the real client
    // (core/client_address.hpp); from anyone else the header is ignored.
    std::vector<std::string> trusted_proxies;
    // Fills a buffer with fresh random bytes (a registered locker's id and secret). The
    // adapter passes a CSPRNG; tests a seeded generator. Registration answers 500 without.
    std::function<void(unsigned char* out, std::size_t size)> random_bytes;
    // Runs before GET /metrics renders, so that the adapter's own gauges (connections,
    // egress queue) appear on the same page.
    std::function<void(MetricsRegistry&)> refresh_metrics;
};

struct ApiRequest {
    std::string_view method;          // "GET", "PUT", ...
    std::string_view target;          // path and optional query
    std::string body;                 // owned: a put keeps it as the object without a copy
    std::string_view authorization;   // the Authorization header ("Bearer <token>")
    std::string_view content_type;    // Content-Type (protobuf or JSON bodies)
    std::string_view accept;          // Accept (protobuf status answers)
    std::string_view ttl;             // X-Decade-TTL
    std::string_view range;           // Range (object GETs: one range of bytes)
    std::string_view client;          // X-Decade-Client (counts from trusted proxies only)
    std::string_view remote_address;  // the connection's peer address, canonical text
};

// Object bytes answered for `locker`, to pass through the egress cap (weighted by the
// locker's bandwidth_share) before the response goes out.
struct EgressCharge {
    std::string locker;
    std::uint64_t bytes = 0;
};

struct ApiResponse {
    unsigned status = 200;
    std::string_view content_type;  // a constant; empty for a response without a body
    std::string body;
    Blob shared_body;    // object bytes shared with the store (body is then empty)
    BlobFile file_body;  // or the file the store keeps them in
    // Of shared_body or file_body, only this part is sent (206; the whole for 200).
    std::uint64_t part_offset = 0;
    std::uint64_t part_length = 0;
    std::string content_range;  // "bytes a-b/size" (206) or "bytes */size" (416); or empty
    // In order. Inline room for one: a whole GET charges one locker without allocating.
    boost::container::small_vector<EgressCharge, 1> egress;
    std::uint32_t retry_after_s = 0;  // sent as Retry-After when not 0 (with a 503)
};

// What a request waiting on another server keeps (defined in api.cpp).
struct PendingRequest;

struct FetchAndResume {
    RemoteFetch fetch;
    std::shared_ptr<PendingRequest> pending;  // hand back to resume() unchanged
};

using ApiStep = std::variant<ApiResponse, FetchAndResume>;

ApiStep handle_request(ServerCore& core, const ApiConfig& config, ApiRequest request,
                       UnixSeconds now);
// Continues a request after its FetchAndResume: `fetched` is what the other server said.
ApiStep resume(ServerCore& core, const ApiConfig& config, FetchAndResume step, FetchOutcome fetched,
               UnixSeconds now);

}  // namespace p2pls::decade_server
