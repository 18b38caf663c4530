// Runs an executable from P2PLS_BIN_DIR as a child process for the source's integration
// and media tests: output captured (stdout + stderr), bounded in time, signals on demand.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace p2pls::testing {

inline std::string bin_path(const std::string& name) {
    const char* dir = std::getenv("P2PLS_BIN_DIR");
    return std::string(dir != nullptr ? dir : ".") + "/" + name;
}

class ChildProcess {
  public:
    // `env`: extra "NAME=value" entries for the child's environment.
    explicit ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {}) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            return;
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            for (auto& e : env) {
                ::putenv(e.data());
            }
            std::vector<char*> args;
            for (auto& a : argv) {
                args.push_back(a.data());
            }
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        fd_ = fds[0];
    }
    ~ChildProcess() {
        if (pid_ > 0 && !exit_code_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void signal(int sig) {
        if (pid_ > 0 && !exit_code_) {
            ::kill(pid_, sig);
        }
    }

    // Reads output until `done(output)` holds, the child ends, or the deadline passes.
    bool read_until(const std::function<bool(const std::string&)>& done,
                    std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done(output_)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 ||
                !read_some(static_cast<int>(std::min<long>(left.count(), 100)))) {
                return done(output_);
            }
        }
        return true;
    }

    // Waits for the exit (reading output meanwhile); nullopt on timeout (then killed).
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            read_some(50);
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                while (read_some(0)) {
                }
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return exit_code_;
            }
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        exit_code_ = -1;
        return std::nullopt;
    }

    [[nodiscard]] const std::string& output() const noexcept { return output_; }

  private:
    // False at EOF or when nothing arrived within timeout_ms.
    bool read_some(int timeout_ms) {
        if (fd_ < 0) {
            return false;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) {
            return false;
        }
        char buf[4096];
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) {
            ::close(fd_);
            fd_ = -1;
            return false;
        }
        output_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int fd_ = -1;
    std::string output_;
    std::optional<int> exit_code_;
};

// Runs to completion: {exit code or -1 on timeout, output}.
inline std::pair<int, std::string> run(std::vector<std::string> argv,
                                       std::chrono::milliseconds timeout,
                                       std::vector<std::string> env = {}) {
    ChildProcess child(std::move(argv), std::move(env));
    const auto code = child.wait(timeout);
    return {code.value_or(-1), child.output()};
}

}  // namespace p2pls::testing
