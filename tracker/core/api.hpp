// The tracker's HTTP API as a pure function: method, target and body in; status, content
// type and body out. Routing, JSON parsing (unknown fields and wrong types rejected),
// validation and error bodies all live here, so that every bad input is tested without a
// socket; the Beast adapter (tracker/http) only converts to and from its own types.
//
//   POST /v1/channels/{ch}/announce   AnnounceRequest  -> AnnounceResponse
//   GET  /v1/channels                                  -> ChannelList
//   GET  /v1/channels/{ch}                             -> ChannelInfo
//   POST /v1/decade-servers           DecadeServerInfo -> DecadeServerInfo (with a proof)
//   GET  /metrics                                      -> Prometheus text
// Every 4xx/5xx carries an http_api::ErrorBody as JSON.
#pragma once

#include <string>
#include <string_view>

#include "common/core/time.hpp"
#include "tracker/core/tracker_state.hpp"

namespace p2pls::tracker {

struct ApiRequest {
    std::string_view method;  // "GET", "POST", ...
    std::string_view target;  // path and optional query, e.g. "/v1/channels?x=1"
    std::string_view body;
    std::string_view remote_host;  // the asker's IP address as seen by the transport
    std::int64_t unix_ms = 0;      // the tracker's wall clock, for signed statements
    // A DECADE server registration's proof (headers X-P2pls-Timestamp, X-P2pls-Proof).
    std::string_view proof_timestamp{};
    std::string_view proof{};
};

struct ApiResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string allow;  // for 405: the methods the target accepts
};

ApiResponse handle_request(TrackerState& state, const ApiRequest& request, TimePoint now);

}  // namespace p2pls::tracker
