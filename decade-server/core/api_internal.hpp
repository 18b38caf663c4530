// Shared by api.cpp (routes, single operations) and batch.cpp (POST /v1/batch): the
// state a request keeps while it waits on another server, and how results become
// responses. Not part of the core's interface.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "decade-server/core/api.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade_server {

// A batch in progress: ops run in order; `next` is the one waiting on a fetch (or the
// next to run).
struct BatchProgress {
    decade_api::BatchRequest request;
    decade_api::BatchResponse response;
    std::map<std::string, std::uint64_t> egress_bytes;  // by locker, for the egress cap
    std::uint64_t response_bytes = 0;
    int next = 0;
};

struct PendingRequest {
    std::string client_id;
    decade_api::RemoteGetOp op;            // POST .../remote-get: the op being served
    std::unique_ptr<BatchProgress> batch;  // POST /v1/batch: set instead
};

ApiResponse error_response(const HttpError& error);
inline ApiResponse error_response(HttpErrc code, std::string detail) {
    return error_response(HttpError(code, std::move(detail)));
}

// POST /v1/batch with its body; runs until done or until an op needs a fetch.
ApiStep start_batch(ServerCore& core, const ApiConfig& config, std::string body,
                    std::string client_id, UnixSeconds now);
// Finishes the op that waited on `fetched` and runs the rest.
ApiStep resume_batch(ServerCore& core, const ApiConfig& config,
                     std::shared_ptr<PendingRequest> pending, FetchOutcome fetched,
                     UnixSeconds now);

}  // namespace p2pls::decade_server
