// Real decade-server processes for integration tests (on tests/support/child_process.hpp),
// a coroutine runner for DecadeClient calls and a raw-socket helper for slot tests.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace p2pls::testing {

// `decade-server ARGS` run to completion.
struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

inline RunResult run_decade(std::vector<std::string> args) {
    args.insert(args.begin(), bin_path("decade-server"));
    ChildProcess child(std::move(args), {.separate_stderr = true});
    const auto code = child.wait(std::chrono::seconds(30));
    return {code.value_or(-1), child.output(), child.error_output()};
}

// One decade-server on 127.0.0.1, port 0; its output goes to <dir>/<name>.log.
class DecadeProcess : public ServerProcess {
  public:
    DecadeProcess(const TempDir& dir, const std::string& name)
        : ServerProcess(bin_path("decade-server"), dir.path() / (name + ".port"),
                        {.log_file = dir.path() / (name + ".log")}) {}

    void start(std::vector<std::string> extra_args = {}) {
        extra_args.insert(extra_args.begin(), {"--log-level", "warn"});
        ASSERT_TRUE(ServerProcess::start(std::move(extra_args)))
            << "decade-server did not write its port file:\n"
            << output();
    }
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
