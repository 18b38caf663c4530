// The child-process helper against /bin/sh: what every process test relies on — output
// kept, exit codes and signals told apart, environment changes, bounded waits, a stop
// that escalates to SIGKILL, and no child outliving its ChildProcess.
#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

namespace p2pls::testing {
namespace {

using namespace std::chrono_literals;

ChildProcess sh(const std::string& script, ChildOptions options = {}) {
    return ChildProcess({"/bin/sh", "-c", script}, std::move(options));
}

bool gone(pid_t pid) {
    return ::kill(pid, 0) != 0;
}

TEST(ChildProcess, KeepsOutputAndExitCode) {
    auto child = sh("echo out; echo err >&2; exit 3");
    ASSERT_TRUE(child.started());
    EXPECT_EQ(child.wait(10s), 3);
    EXPECT_EQ(child.output(), "out\nerr\n");
    EXPECT_FALSE(child.running());
}

TEST(ChildProcess, SeparateStderrAndLogFile) {
    TempDir dir;
    auto child =
        sh("echo out; echo err >&2", {.log_file = dir.path() / "log", .separate_stderr = true});
    EXPECT_EQ(child.wait(10s), 0);
    EXPECT_EQ(child.output(), "out\n");
    EXPECT_EQ(child.error_output(), "err\n");
    std::ifstream in(dir.path() / "log");
    std::string line;
    EXPECT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, "out");
}

TEST(ChildProcess, EnvironmentSetAndRemoved) {
    ::setenv("P2PLS_SUPPORT_GONE", "here", 1);
    auto child = sh("echo \"$P2PLS_SUPPORT_SET-${P2PLS_SUPPORT_GONE-unset}\"",
                    {.env = {"P2PLS_SUPPORT_SET=yes", "P2PLS_SUPPORT_GONE="}});
    EXPECT_EQ(child.wait(10s), 0);
    EXPECT_EQ(child.output(), "yes-unset\n");
    ::unsetenv("P2PLS_SUPPORT_GONE");
}

TEST(ChildProcess, MissingExecutableIsNotStarted) {
    ChildProcess child({"/nonexistent/p2pls-nothing"});
    EXPECT_FALSE(child.started());
    EXPECT_EQ(child.wait(1s), 127);
    EXPECT_NE(child.output().find("cannot run"), std::string::npos) << child.output();
}

TEST(ChildProcess, WaitsAreBoundedAndSignalsShowInTheCode) {
    auto child = sh("echo ready; exec sleep 30");
    EXPECT_TRUE(child.wait_for_output("ready", 10s)) << child.output();
    EXPECT_FALSE(child.wait(100ms).has_value());
    EXPECT_FALSE(child.wait_for_output("never", 100ms));
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(10s), 128 + SIGTERM);
}

TEST(ChildProcess, WaitForOutputGivesUpWhenTheChildEnds) {
    auto child = sh("echo bye");
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(child.wait_for_output("never", 20s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
}

TEST(ChildProcess, StopEscalatesToSigkill) {
    auto child = sh("trap '' TERM; echo ready; while :; do sleep 1; done");
    ASSERT_TRUE(child.wait_for_output("ready", 10s));
    EXPECT_EQ(child.stop(SIGTERM, 200ms), 128 + SIGKILL);
    EXPECT_TRUE(gone(child.pid()));
}

TEST(ChildProcess, StopsAStoppedChild) {
    auto child = sh("echo ready; exec sleep 30");
    ASSERT_TRUE(child.wait_for_output("ready", 10s));
    child.signal(SIGSTOP);
    EXPECT_EQ(child.stop(SIGTERM, 5s), 128 + SIGTERM);
}

TEST(ChildProcess, DestructorReapsAndMovesKeepOneOwner) {
    pid_t pid = -1;
    {
        auto first = sh("exec sleep 30");
        pid = first.pid();
        ChildProcess second = std::move(first);
        EXPECT_FALSE(first.running());  // NOLINT(bugprone-use-after-move): moved-from is empty
        EXPECT_TRUE(second.running());
    }
    EXPECT_TRUE(gone(pid));  // reaped, not a zombie: kill() finds no such process
}

TEST(ChildProcess, RunKillsAtTheDeadline) {
    const auto [code, out] = run({"/bin/sh", "-c", "echo started; exec sleep 30"}, 200ms);
    EXPECT_EQ(code, -1);
    EXPECT_EQ(out, "started\n");
}

TEST(ServerProcess, WaitsForThePortFileAndReportsAnEarlyExit) {
    TempDir dir;
    // A stand-in server: writes the port given after --listen 127.0.0.1:, then waits.
    const std::string script =
        "while [ $# -gt 0 ]; do case $1 in --listen) p=${2#*:};; "
        "--port-file) f=$2;; esac; shift; done; "
        "[ \"$p\" = 0 ] && p=4321; echo $p > $f; exec sleep 30";
    const auto fake = dir.path() / "fake-server";
    std::ofstream(fake) << "#!/bin/sh\n" << script << "\n";
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
    ServerProcess server(fake.string(), dir.path() / "port");
    ASSERT_TRUE(server.start());
    EXPECT_EQ(server.port(), 4321);
    EXPECT_EQ(server.url(), "http://127.0.0.1:4321");
    EXPECT_EQ(server.stop(), 128 + SIGTERM);
    // Restarted on a given port; the old port file does not count.
    ASSERT_TRUE(server.start({}, 5555));
    EXPECT_EQ(server.port(), 5555);

    ServerProcess broken("/bin/false", dir.path() / "none.port");
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(broken.start());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
}

TEST(Support, UnusedPortAndTempDir) {
    std::filesystem::path kept;
    {
        TempDir dir("p2pls-support");
        kept = dir.path();
        EXPECT_TRUE(std::filesystem::is_directory(kept));
        std::ofstream(kept / "f") << "x";
    }
    EXPECT_FALSE(std::filesystem::exists(kept));
    EXPECT_NE(unused_port(), 0);
}

TEST(Support, TempDirsAreDistinctAndKeepLeavesOneInPlace) {
    std::filesystem::path kept;
    {
        TempDir a("p2pls-support");
        TempDir b("p2pls-support");
        EXPECT_NE(a.path(), b.path());
        EXPECT_EQ(a.path().filename().string().rfind("p2pls-support-", 0), 0U);
        std::ofstream(a.path() / "log") << "x";
        a.keep();
        kept = a.path();
    }
    EXPECT_TRUE(std::filesystem::exists(kept / "log"));
    std::filesystem::remove_all(kept);
}

}  // namespace
}  // namespace p2pls::testing
