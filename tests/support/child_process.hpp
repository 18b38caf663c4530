// Child processes for the tests that run the project's executables. Output lands in a file
// (a named log, or an anonymous memory file) rather than a pipe, so a chatty child never
// blocks on a test that is busy elsewhere, and output() is current whenever it is asked.
// Every wait has a deadline, and every child is reaped: the destructor stops it, and the
// kernel kills it if the test binary itself dies (PR_SET_PDEATHSIG). That signal follows
// the thread that started the child: start children from a thread that outlives them.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p2pls::testing {

// P2PLS_BIN_DIR/name; ctest sets the variable, "." stands in when a test is run by hand.
std::string bin_path(std::string_view name);

// Whether `name` is an executable on PATH (optional tools such as ffprobe; run them with
// run(), no shell).
bool have_program(const std::string& name);

// A fresh directory under the system temp dir (<prefix>-XXXXXX, unique even when tests
// run in parallel), removed with its contents at the end unless keep() was called.
class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "p2pls");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    // Leaves the directory in place at the end: for reading a failed test's logs.
    void keep() { keep_ = true; }

  private:
    std::filesystem::path path_;
    bool keep_ = false;
};

// A TCP port on 127.0.0.1 that nothing listened on a moment ago (bound, then released):
// for a child that must find no server there, or a server started later on a known port.
std::uint16_t unused_port();

// Polls `done` until it holds or `timeout` passes; its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

struct ChildOptions {
    // "NAME=value" sets NAME in the child's environment; "NAME=" removes it.
    std::vector<std::string> env{};
    // stdout and stderr into this file (truncated) instead of memory: it outlives the test,
    // for reading by hand after a failure.
    std::filesystem::path log_file{};
    // stderr into error_output() instead of joining stdout in output().
    bool separate_stderr = false;
};

class ChildProcess {
  public:
    // argv[0] is the executable: a path, or a name looked up in PATH.
    explicit ChildProcess(std::vector<std::string> argv, ChildOptions options = {});
    ~ChildProcess();
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // False when the executable could not be run at all (missing, not executable).
    [[nodiscard]] bool started() const { return started_; }
    // Still valid after the exit, for what the child's own children were named after.
    [[nodiscard]] pid_t pid() const { return pid_; }
    // Reaps the child when it has ended.
    bool running();
    // The exit code (128 + signal when a signal ended it) once it has exited within
    // `timeout`; nullopt while it still runs.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // No-op once the child has been reaped, so a recycled pid is never hit.
    void signal(int sig);
    // `sig`, up to `grace` for the exit, then SIGKILL; the exit code (-1 if never started).
    int stop(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(5));

    // stdout and stderr so far, interleaved as written (stdout alone with separate_stderr).
    [[nodiscard]] std::string output() const;
    [[nodiscard]] std::string error_output() const;
    // Until `done(output())` holds; false once the deadline passed or the child ended without.
    bool wait_for_output(const std::function<bool(const std::string&)>& done,
                         std::chrono::milliseconds timeout);
    bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout);
    // The port a server wrote to its --port-file; nullopt if it exited or timed out first.
    std::optional<std::uint16_t> wait_for_port_file(const std::filesystem::path& file,
                                                    std::chrono::milliseconds timeout);

  private:
    void release() noexcept;

    pid_t pid_ = -1;
    bool started_ = false;
    std::optional<int> exit_code_;
    int out_fd_ = -1;
    int err_fd_ = -1;
};

// The project's executables started by one test (bin_path(exe)), each logging to
// <log_dir>/<exe><n>.log, which the test keeps on failure; clear() or the destructor
// stops them all (SIGTERM).
class Processes {
  public:
    explicit Processes(std::filesystem::path log_dir) : dir_(std::move(log_dir)) {}
    // `env` as ChildOptions::env.
    ChildProcess& spawn(const std::string& exe, std::vector<std::string> args,
                        std::vector<std::string> env = {});
    void clear() { children_.clear(); }

  private:
    std::filesystem::path dir_;
    std::vector<std::unique_ptr<ChildProcess>> children_;
};

// Runs to completion: {exit code, or -1 when killed at `timeout`; output()}.
std::pair<int, std::string> run(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                                ChildOptions options = {});

// A server that binds --listen 127.0.0.1:<port> and writes the port it got to --port-file
// (p2pls-tracker, p2pls-source, decade-server), known by its URL, and restartable on the
// same port.
class ServerProcess {
  public:
    ServerProcess(std::string executable, std::filesystem::path port_file,
                  ChildOptions options = {});

    // Starts with those two flags and `args`; true once the port is known. False: it
    // exited or wrote no port within `timeout` (output() says why).
    bool start(std::vector<std::string> args = {}, std::uint16_t port = 0,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // See ChildProcess::stop; -1 when not started.
    int stop(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(10));

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string url() const;
    [[nodiscard]] std::string output() const;
    [[nodiscard]] ChildProcess* child() { return child_ ? &*child_ : nullptr; }

  private:
    std::string executable_;
    std::filesystem::path port_file_;
    ChildOptions options_;
    std::optional<ChildProcess> child_;
    std::uint16_t port_ = 0;
};

}  // namespace p2pls::testing
