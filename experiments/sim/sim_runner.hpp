// `p2pls-testbed --sim`: the same scenario on the deterministic simulator (netsim/) with
// the real peer engines instead of processes — thousands of peers, seconds of wall time,
// the same RunResult (and so the same summary and plots) as a process run. Pure logic:
// virtual clock, no I/O.
#pragma once

#include <functional>
#include <string>

#include "experiments/core/scenario.hpp"
#include "experiments/core/summary.hpp"

namespace p2pls::experiments {

// Why `mode` cannot run on the simulator (nullopt: it can).
std::optional<std::string> sim_mode_unavailable(Mode mode);

// Runs one mode. `on_progress` gets a progress line every 10 simulated seconds;
// `cancelled` is polled as often and ends the run early when it returns true. `trace`:
// the engines keep chunk traces, collected into RunResult::traces.
RunResult run_sim(const Scenario& scenario, Mode mode, const std::string& label,
                  const std::function<void(const std::string&)>& on_progress,
                  const std::function<bool()>& cancelled, bool trace = false);

}  // namespace p2pls::experiments
