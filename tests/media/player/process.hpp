// A child process for end-to-end tests: started with fork/exec, its stdout and stderr
// captured to a file, stopped with SIGTERM (then SIGKILL) when the test is done with it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace p2pls::player::test {

class Process {
  public:
    // `env` entries are "NAME=value" added to (or "NAME=" removing from) the environment.
    Process(std::string program, std::vector<std::string> args, std::string output_path,
            std::vector<std::string> env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    bool running();
    // Exit code (128 + signal when killed) once the process ended within `limit`.
    std::optional<int> wait_for(std::chrono::milliseconds limit);
    // SIGTERM, up to `grace` for it to exit, then SIGKILL. Returns its exit code.
    int terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
    // Sends `signal` (e.g. SIGSTOP / SIGCONT to pause a source).
    void signal(int signal);
    // What it printed so far (stdout and stderr interleaved).
    [[nodiscard]] std::string output() const;
    // Waits until output() contains `text`, or `limit` passes, or the process ends.
    bool wait_for_output(const std::string& text, std::chrono::milliseconds limit);

  private:
    int pid_ = -1;
    std::optional<int> exit_code_;
    std::string output_path_;
};

// The directory holding the project's executables (P2PLS_BIN_DIR), or "" when unset.
std::string bin_dir();

// A TCP port on 127.0.0.1 that nothing listens on (bound then released).
int unused_port();

}  // namespace p2pls::player::test
