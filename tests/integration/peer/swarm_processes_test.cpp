// Real processes over loopback: p2pls-tracker + p2pls-source + 10 p2pls-peer for 30 s.
// Every peer starts, plays without a miss, and the reports add up: what all peers
// uploaded is what all peers downloaded from peers.
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
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/core/proto_json.hpp"
#include "p2pls/report.pb.h"

extern char** environ;

namespace p2pls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path bin(const std::string& name) {
    const char* dir = std::getenv("P2PLS_BIN_DIR");
    return fs::path(dir != nullptr ? dir : ".") / name;
}

// A child process, killed (SIGTERM, then SIGKILL) when the test ends.
class Child {
  public:
    Child(const fs::path& exe, std::vector<std::string> args, const fs::path& log) {
        args.insert(args.begin(), exe.string());
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        if (posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    ~Child() { terminate(5s); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    [[nodiscard]] bool started() const { return pid_ > 0; }

    // Waits for exit up to `deadline`; returns the exit status, or nullopt.
    std::optional<int> wait_exit(std::chrono::milliseconds deadline) {
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (pid_ > 0) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            if (std::chrono::steady_clock::now() > end) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(50ms);
        }
        return std::nullopt;
    }

    void terminate(std::chrono::milliseconds grace) {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        if (!wait_exit(grace)) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

  private:
    pid_t pid_ = -1;
};

std::optional<std::string> wait_for_file(const fs::path& path, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        std::ifstream in(path);
        std::string line;
        if (in && std::getline(in, line) && !line.empty()) {
            return line;
        }
        std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
}

// The last line of a JSON-lines report, parsed.
std::optional<report::QoeReport> last_report(const fs::path& path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    report::QoeReport r;
    if (last.empty() || parse_json(last, r).has_value()) {
        return std::nullopt;
    }
    return r;
}

TEST(PeerProcesses, TenPeersThirtySecondsNoMissesAndTheBooksBalance) {
    const fs::path dir =
        fs::temp_directory_path() / ("p2pls-peer-swarm-" + std::to_string(::getpid()));
    fs::create_directories(dir);

    Child tracker(bin("p2pls-tracker"),
                  {"--listen", "127.0.0.1:0", "--port-file", (dir / "tracker.port").string(),
                   "--interval", "2"},
                  dir / "tracker.log");
    ASSERT_TRUE(tracker.started());
    const auto tracker_port = wait_for_file(dir / "tracker.port", 10s);
    ASSERT_TRUE(tracker_port.has_value()) << "tracker did not start";
    const std::string tracker_url = "http://127.0.0.1:" + *tracker_port;

    Child source(bin("p2pls-source"),
                 {"--channel", "itest", "--tracker", tracker_url, "--listen", "127.0.0.1:0",
                  "--port-file", (dir / "source.port").string(), "--key",
                  (dir / "itest.key").string(), "--upload-limit", "250k", "--bitrate", "500"},
                 dir / "source.log");
    ASSERT_TRUE(source.started());
    ASSERT_TRUE(wait_for_file(dir / "source.port", 20s).has_value()) << "source did not start";
    std::this_thread::sleep_for(3s);  // a few chunks exist before the crowd (not an assertion)

    constexpr int kPeers = 10;
    std::vector<std::unique_ptr<Child>> peers;
    for (int i = 0; i < kPeers; ++i) {
        const std::string n = std::to_string(i);
        peers.push_back(std::make_unique<Child>(
            bin("p2pls-peer"),
            std::vector<std::string>{"--tracker", tracker_url, "--channel", "itest", "--peer-id",
                                     "itest-" + n, "--report",
                                     (dir / ("r" + n + ".jsonl")).string(), "--upload-limit", "750",
                                     "--duration", "30"},
            dir / ("peer" + n + ".log")));
        ASSERT_TRUE(peers.back()->started());
    }
    for (auto& p : peers) {
        const auto code = p->wait_exit(60s);
        ASSERT_TRUE(code.has_value()) << "a peer did not leave after --duration";
        EXPECT_EQ(*code, 0);
    }

    std::uint64_t uploaded = 0, from_peers = 0, from_source = 0;
    for (int i = 0; i < kPeers; ++i) {
        const auto r = last_report(dir / ("r" + std::to_string(i) + ".jsonl"));
        ASSERT_TRUE(r.has_value()) << "peer " << i << " wrote no report";
        SCOPED_TRACE(r->peer_id());
        EXPECT_TRUE(r->final());
        EXPECT_GE(r->startup_delay_s(), 0.0) << "never started";
        EXPECT_GT(r->chunks_due(), 10u);
        EXPECT_EQ(r->chunks_missed(), 0u);
        EXPECT_EQ(r->chunks_rejected(), 0u);
        uploaded += r->upload_media_bytes();
        from_peers += r->bytes_from_peers();
        from_source += r->bytes_from_source();
    }
    EXPECT_GT(from_source, 0u);
    // Every byte one peer uploads another downloads, up to frames in flight at the end
    // (at most a few chunks per peer).
    const double slack = 0.05 * static_cast<double>(std::max(uploaded, from_peers)) + 8 * 90'000.0;
    EXPECT_NEAR(static_cast<double>(uploaded), static_cast<double>(from_peers), slack);

    source.terminate(5s);
    tracker.terminate(5s);
    std::error_code ignored;
    if (!::testing::Test::HasFailure()) {
        fs::remove_all(dir, ignored);
    }
}

}  // namespace
}  // namespace p2pls
