// The testbed's child processes. Every child is started with fork/exec from the
// testbed's main thread, gets PR_SET_PDEATHSIG(SIGKILL) (so it dies with the testbed,
// even on SIGKILL of the testbed), stdin from /dev/null and stdout+stderr into its own
// log file. The table reaps exits and tears everything down: SIGTERM, a deadline, then
// SIGKILL, and waits for every pid — the destructor does it too, so no path out of the
// testbed leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/core/errc.hpp"
#include "experiments/core/plan.hpp"

namespace p2pls::experiments {

struct Exit {
    std::string name;
    pid_t pid = -1;
    int code = 0;        // exit code, or 128 + signal
    bool by_us = false;  // we had asked it to stop
};

class Children {
  public:
    Children() = default;
    ~Children();
    Children(const Children&) = delete;
    Children& operator=(const Children&) = delete;

    // Starts `spec`; fails with io_error (and a reason) when the log cannot be opened or
    // fork fails. An exec failure shows as exit code 127 with the reason in the log.
    Result<pid_t> start(const ProcessSpec& spec, std::string& why);

    // Reaps children that have exited since the last call.
    std::vector<Exit> reap();

    // Asks one child to stop (SIGTERM) or kills it (SIGKILL).
    void signal(const std::string& name, int sig);

    // SIGTERM to the named children (all when empty), waits up to `grace`, then SIGKILL
    // and waits for all of them. Returns their exits.
    std::vector<Exit> stop(const std::vector<std::string>& names, std::chrono::milliseconds grace);
    std::vector<Exit> stop_all(std::chrono::milliseconds grace) { return stop({}, grace); }

    [[nodiscard]] bool running(const std::string& name) const;
    [[nodiscard]] std::size_t count() const { return live_.size(); }
    [[nodiscard]] std::vector<pid_t> pids() const;

  private:
    struct Child {
        std::string name;
        pid_t pid = -1;
        bool asked = false;
    };
    std::vector<Child> live_;
};

// Runs a command to completion (stdout+stderr into `output_file`), bounded by `limit`
// (SIGKILL after it). Returns the exit code (128 + signal), or nullopt if it could not
// start, ran out of time, or (when `stop_on_signal`) the testbed was asked to stop.
// Teardown work (namespace removal, the final plots) passes false: it must finish.
std::optional<int> run_to_end(const std::vector<std::string>& argv, const std::string& output_file,
                              std::chrono::milliseconds limit, bool stop_on_signal = true);

// Installs SIGINT/SIGTERM/SIGHUP handlers that set a flag (see stop_requested()).
void install_stop_handlers();
[[nodiscard]] bool stop_requested();
// The signal that asked us to stop (0 if none).
[[nodiscard]] int stop_signal();

}  // namespace p2pls::experiments
