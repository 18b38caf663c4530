// The testbed's --trace report (docs/testbed.md, "Reading a trace"): every peer's chunk
// traces (peer/core/chunk_trace.hpp) of one run, summed up in <run>/trace.md: how many
// chunks startup waited for, were played late or were missed; for the late and missed
// ones, the cause each trace shows; how long each kind of step took; and the first
// traces in full, one line each.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "p2pls/report.pb.h"

namespace p2pls::experiments {

// What a late or missed chunk's trace shows first, in this order of precedence:
//  "DECADE busy (503)", "DECADE failed", "DECADE timed out", "native Busy",
//  "native request late", "never asked", "asked too late" (the first ask came within a
//  chunk's time of the due time), "slow delivery" (asked in time, arrived late).
std::string trace_cause(const report::ChunkTrace& trace);

// trace.md for one run (`label`).
std::string trace_markdown(std::string_view label, const std::vector<report::ChunkTrace>& traces,
                           double chunk_s, std::size_t full_traces = 30);

// Parses JSON lines of ChunkTrace (a peer's --trace file); unparseable lines are skipped.
std::vector<report::ChunkTrace> parse_traces(std::string_view jsonl);

}  // namespace p2pls::experiments
