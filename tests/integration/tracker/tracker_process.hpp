// Runs the real p2pls-tracker executable for an integration test: 127.0.0.1, port 0 (the
// bound port comes back through --port-file), a temp dir, SIGTERM at the end.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace p2pls::testing {

class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "p2pls-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

inline std::string bin_path(const std::string& name) {
    const char* dir = std::getenv("P2PLS_BIN_DIR");
    return std::string(dir != nullptr ? dir : ".") + "/" + name;
}

// One p2pls-tracker process. start() returns once the port file names the bound port.
class TrackerProcess {
  public:
    explicit TrackerProcess(const TempDir& dir) : dir_(dir) {}
    ~TrackerProcess() { kill_now(); }

    // `port` 0 picks a free port; passing the old port restarts on the same address.
    void start(std::vector<std::string> extra_args = {}, std::uint16_t port = 0) {
        const auto port_file = dir_.path() / "tracker.port";
        std::filesystem::remove(port_file);
        std::vector<std::string> args = {bin_path("p2pls-tracker"),
                                         "--listen",
                                         "127.0.0.1:" + std::to_string(port),
                                         "--port-file",
                                         port_file.string(),
                                         "--seed",
                                         "7",
                                         "--log-level",
                                         "warn"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        pid_ = spawn(args);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(port_file);
            unsigned p = 0;
            if (in >> p && p != 0) {
                port_ = static_cast<std::uint16_t>(p);
                return;
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                FAIL() << "p2pls-tracker exited at start-up";
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the file
        }
        FAIL() << "p2pls-tracker did not write its port file";
    }

    // Sends `signal` and waits (bounded) for the exit; returns the exit status or -1.
    int stop(int signal = SIGTERM) {
        if (pid_ <= 0) {
            return -1;
        }
        ::kill(pid_, signal);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        int status = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill_now();
        return -1;
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // Runs the executable to completion with `args`; returns {exit code, stderr}.
    static std::pair<int, std::string> run(const TempDir& dir, std::vector<std::string> args) {
        args.insert(args.begin(), bin_path("p2pls-tracker"));
        const auto err = (dir.path() / "stderr.txt").string();
        const pid_t pid = spawn(args, err);
        int status = 0;
        waitpid(pid, &status, 0);
        std::ifstream in(err);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
    }

  private:
    static pid_t spawn(const std::vector<std::string>& args, const std::string& stderr_file = {}) {
        std::vector<char*> argv;
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (!stderr_file.empty()) {
            posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(),
                                             O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
        pid_t pid = -1;
        const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            throw std::runtime_error("cannot start " + args[0]);
        }
        return pid;
    }

    void kill_now() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    const TempDir& dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace p2pls::testing
