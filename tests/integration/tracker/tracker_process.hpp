// The real p2pls-tracker for an integration test: 127.0.0.1, port 0 unless a restart asks
// for the old one, a fixed seed so that runs compare, and only warnings in the test log.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/child_process.hpp"

namespace p2pls::testing {

class TrackerProcess : public ServerProcess {
  public:
    explicit TrackerProcess(const TempDir& dir)
        : ServerProcess(bin_path("p2pls-tracker"), dir.path() / "tracker.port") {}

    // `port` 0 picks a free port; passing the old port restarts on the same address.
    void start(std::vector<std::string> extra_args = {}, std::uint16_t port = 0) {
        extra_args.insert(extra_args.begin(), {"--seed", "7", "--log-level", "warn"});
        ASSERT_TRUE(ServerProcess::start(std::move(extra_args), port))
            << "p2pls-tracker did not write its port file:\n"
            << output();
    }

    // Runs the executable to completion with `args`; returns {exit code, stderr}.
    static std::pair<int, std::string> run(std::vector<std::string> args) {
        args.insert(args.begin(), bin_path("p2pls-tracker"));
        ChildProcess child(std::move(args), {.separate_stderr = true});
        const auto code = child.wait(std::chrono::seconds(30));
        return {code.value_or(-1), child.error_output()};
    }
};

}  // namespace p2pls::testing
