// Real decade-server processes for integration tests (on tests/support/child_process.hpp),
// a coroutine runner for DecadeClient calls, and the raw socket of slot tests.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/raw_connection.hpp"

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

}  // namespace p2pls::testing
