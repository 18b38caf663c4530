// Runs one mode of a scenario with real processes on this machine (the draft's test
// controller, §7.2.5): DECADE servers (DECADE mode), tracker, source, then the peers on
// the scenario's schedule; a progress line every second from the peers' report files;
// teardown at the end, on failure and on SIGINT/SIGTERM; then every session's report.
#pragma once

#include <functional>
#include <string>

#include "experiments/core/plan.hpp"
#include "experiments/core/scenario.hpp"
#include "experiments/core/summary.hpp"
#include "experiments/process/netns.hpp"

namespace p2pls::experiments {

struct RunOptions {
    RunPaths paths;  // run_dir is this run's folder (created here)
    Capabilities caps;
    // --netns: every peer runs in its namespace (paths.service_host is the bridge).
    const NetnsLab* lab = nullptr;
    // Called about once a second with the progress line, and with "" at the end.
    std::function<void(const std::string&)> on_progress;
};

// Never throws for run-time trouble: failures land in RunResult::failure, an unavailable
// mode in RunResult::available/unavailable. Stops early when stop_requested().
RunResult run_mode(const Scenario& scenario, Mode mode, const std::string& label,
                   const RunOptions& options);

}  // namespace p2pls::experiments
