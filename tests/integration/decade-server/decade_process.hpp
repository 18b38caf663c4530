// Runs real decade-server processes for integration tests: 127.0.0.1, port 0 (the bound
// port comes back through --port-file), a temp dir, SIGTERM at the end; plus a coroutine
// runner for DecadeClient calls and a raw-socket helper for slot tests.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace p2pls::testing {

class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "p2pls-decade-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

inline std::string decade_bin() {
    const char* dir = std::getenv("P2PLS_BIN_DIR");
    return std::string(dir != nullptr ? dir : ".") + "/decade-server";
}

inline pid_t spawn_process(const std::vector<std::string>& args, const std::string& out_file = {},
                           const std::string& err_file = {}) {
    std::vector<char*> argv;
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!out_file.empty()) {
        posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (!err_file.empty()) {
        posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(),
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

// Runs `decade-server ARGS` to completion: {exit code, stdout, stderr}.
struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

inline RunResult run_decade(const ScratchDir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), decade_bin());
    const auto out = (dir.path() / "run.out").string();
    const auto err = (dir.path() / "run.err").string();
    const pid_t pid = spawn_process(args, out, err);
    int status = 0;
    waitpid(pid, &status, 0);
    auto slurp = [](const std::string& path) {
        std::ifstream in(path);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

class DecadeProcess {
  public:
    DecadeProcess(const ScratchDir& dir, std::string name) : dir_(dir), name_(std::move(name)) {}
    ~DecadeProcess() { kill_now(); }

    void start(std::vector<std::string> extra_args = {}) {
        const auto port_file = dir_.path() / (name_ + ".port");
        std::filesystem::remove(port_file);
        std::vector<std::string> args = {decade_bin(),  "--listen",         "127.0.0.1:0",
                                         "--port-file", port_file.string(), "--log-level",
                                         "warn"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        pid_ = spawn_process(args, {}, (dir_.path() / (name_ + ".err")).string());
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
                FAIL() << "decade-server exited at start-up";
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the file
        }
        FAIL() << "decade-server did not write its port file";
    }

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

  private:
    void kill_now() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    const ScratchDir& dir_;
    std::string name_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// Runs one coroutine on a fresh io_context to completion (bounded by the call timeouts
// of the client inside) and returns its value.
template <class T, class Make>
T run_coro(boost::asio::io_context& io, Make make) {
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(io, make(), [&](std::exception_ptr e, T value) {
        error = e;
        out = std::move(value);
    });
    io.restart();
    io.run();
    if (error) {
        std::rethrow_exception(error);
    }
    return std::move(*out);
}

// A plain TCP connection from `local_ip`, for holding a slot or reading a raw answer.
class RawConnection {
  public:
    RawConnection(std::uint16_t port, const std::string& local_ip = "127.0.0.1") {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        inet_pton(AF_INET, local_ip.c_str(), &local.sin_addr);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~RawConnection() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    [[nodiscard]] bool connected() const { return connected_; }

    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }

    // Reads until the peer closes, `want` bytes have come, or `timeout` passes.
    std::string read_some(std::chrono::milliseconds timeout, std::size_t want = 1 << 20) {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out.size() < want) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                break;
            }
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                break;
            }
            char buf[4096];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

}  // namespace p2pls::testing
