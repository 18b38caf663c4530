// Batching policy of the DECADE module (draft §4.2.1 "Limited Connection Slot": at most m
// connections to a server, batch requests to use them fully). Pure: the caller passes the
// pending gets, the free slots per server and `now`; the planner says what to send.
//
// Policy, per server: gets whose deadline is within `urgent_within` go first, each in a
// request of its own (the smallest answer arrives soonest); the rest, earliest deadline
// first, are combined into batch requests of at most `max_ops_per_batch` operations and
// `max_bytes_per_batch` expected bytes, spread over the remaining free slots but at least
// `min_ops_per_batch` to a batch. What does not fit stays pending for the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/core/time.hpp"

namespace p2pls::decade {

struct PendingGet {
    std::uint64_t id = 0;  // caller's handle, echoed in the plan
    std::string server;    // base URL of the DECADE server holding the object
    TimePoint deadline{};  // when the object is needed (playback deadline)
    std::uint64_t expected_bytes = 0;
};

struct BatchPolicy {
    std::size_t max_ops_per_batch = 16;
    // Non-urgent gets go at least this many to a batch while there are that many: fewer
    // slots are used, and each request saved is its headers and tokens saved.
    std::size_t min_ops_per_batch = 1;
    std::uint64_t max_bytes_per_batch = 4 * 1024 * 1024;
    Duration urgent_within = std::chrono::milliseconds(500);
};

struct PlannedRequest {
    std::string server;
    std::vector<std::uint64_t> ids;  // in deadline order; one id = a plain single request
    bool urgent = false;
};

struct Plan {
    std::vector<PlannedRequest> requests;  // urgent ones first
    std::vector<PendingGet> deferred;      // no slot for these now
};

// `free_slots`: connections free now per server (missing server = 0 free).
Plan plan_requests(std::vector<PendingGet> pending,
                   const std::map<std::string, std::size_t>& free_slots, TimePoint now,
                   const BatchPolicy& policy);

}  // namespace p2pls::decade
