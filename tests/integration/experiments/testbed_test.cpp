// p2pls-testbed end to end with the real executables: the 5-peer, 15-second smoke
// scenario runs and every peer reports; SIGINT and SIGKILL of the testbed leave no child.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "experiments/core/summary.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls::experiments {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using p2pls::testing::ChildProcess;
using p2pls::testing::TempDir;

std::string scenario(const std::string& name) {
    return std::string(P2PLS_SCENARIO_DIR) + "/" + name;
}

// Output into <dir>/log, read after the run.
ChildProcess spawn_testbed(std::vector<std::string> args, const fs::path& dir) {
    args.insert(args.begin(), p2pls::testing::bin_path("p2pls-testbed"));
    return ChildProcess(std::move(args), {.log_file = dir / "log"});
}

// Its exit code, 128 + signal, or -1 when it did not end within `limit`.
int wait_exit(ChildProcess& testbed, std::chrono::seconds limit) {
    return testbed.wait(limit).value_or(-1);
}

struct ProcInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    char state = '?';
    std::string comm;
};

std::optional<ProcInfo> proc_info(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) {
        return std::nullopt;
    }
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= text.size()) {
        return std::nullopt;
    }
    ProcInfo info;
    info.pid = pid;
    info.comm = text.substr(open + 1, close - open - 1);
    std::istringstream rest(text.substr(close + 2));
    rest >> info.state >> info.ppid;
    return info;
}

std::vector<ProcInfo> children_of(pid_t parent) {
    std::vector<ProcInfo> out;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if (auto info = proc_info(std::stoi(name)); info && info->ppid == parent) {
            out.push_back(*info);
        }
    }
    return out;
}

bool alive(pid_t pid) {
    const auto info = proc_info(pid);
    return info.has_value() && info->state != 'Z' && info->state != 'X';
}

// Starts the smoke scenario and returns once peers run, with the children seen so far.
std::vector<ProcInfo> start_and_wait_for_peers(ChildProcess& testbed) {
    std::map<pid_t, ProcInfo> seen;
    const auto deadline = Clock::now() + std::chrono::seconds(90);
    std::size_t peers = 0;
    while (Clock::now() < deadline && peers < 3) {
        peers = 0;
        for (const auto& c : children_of(testbed.pid())) {
            seen[c.pid] = c;
        }
        for (const auto& [pid, c] : seen) {
            if (c.comm.rfind("p2pls-peer", 0) == 0 && alive(pid)) {
                ++peers;
            }
        }
        if (!testbed.running()) {
            ADD_FAILURE() << "p2pls-testbed ended before its peers ran";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling /proc
    }
    EXPECT_GE(peers, 3u) << "the testbed did not start its peers";
    std::vector<ProcInfo> out;
    for (auto& [pid, c] : seen) {
        out.push_back(c);
    }
    return out;
}

void expect_all_gone(const std::vector<ProcInfo>& children, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    std::vector<ProcInfo> left;
    do {
        left.clear();
        for (const auto& c : children) {
            if (alive(c.pid)) {
                left.push_back(c);
            }
        }
        if (left.empty()) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling /proc
    } while (Clock::now() < deadline);
    for (const auto& c : left) {
        ADD_FAILURE() << "left behind: pid " << c.pid << " (" << c.comm << ")";
        ::kill(c.pid, SIGKILL);
    }
}

std::map<std::string, std::map<std::string, std::string>> read_summary_csv(const fs::path& path) {
    std::ifstream in(path);
    std::string header_line;
    std::getline(in, header_line);
    const auto split = [](const std::string& line) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (const char ch : line) {
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == ',' && !quoted) {
                cells.push_back(cell);
                cell.clear();
            } else {
                cell += ch;
            }
        }
        cells.push_back(cell);
        return cells;
    };
    const auto header = split(header_line);
    std::map<std::string, std::map<std::string, std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        const auto cells = split(line);
        EXPECT_EQ(cells.size(), header.size()) << line;
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) {
            row[header[i]] = cells[i];
        }
        rows[row["run"]] = row;
    }
    return rows;
}

TEST(TestbedIntegration, SmokeScenarioRunsEndToEndAndEveryPeerReports) {
    TempDir dir("p2pls-testbed");
    const fs::path out = dir.path() / "out";
    auto testbed =
        spawn_testbed({"run", scenario("smoke.toml"), "--out", out.string()}, dir.path());
    const int code = wait_exit(testbed, std::chrono::seconds(170));
    const std::string text = testbed.output();
    ASSERT_EQ(code, 0) << text;
    EXPECT_NE(text.find("startup delay p50"), std::string::npos) << text;  // the table
    ASSERT_TRUE(fs::exists(out / "summary.md"));
    ASSERT_TRUE(fs::exists(out / "plots" / "startup.png")) << text;

    const auto rows = read_summary_csv(out / "summary.csv");
    ASSERT_EQ(rows.count("native"), 1u);
    const auto& native = rows.at("native");
    EXPECT_EQ(native.at("available"), "1");
    EXPECT_EQ(native.at("sessions"), "5");
    EXPECT_EQ(native.at("reported"), "5") << text;
    EXPECT_EQ(native.at("final_reports"), "5") << text;
    EXPECT_NE(native.at("chunks_due"), "0");
    // Every peer's report file holds parseable lines ending in a final one.
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(out / "native" / "reports")) {
        std::ifstream in(entry.path());
        const std::string jsonl((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        const auto last = last_report(jsonl);
        ASSERT_TRUE(last) << entry.path();
        EXPECT_TRUE(last->final()) << entry.path();
        ++files;
    }
    EXPECT_EQ(files, 5u);

    ASSERT_EQ(rows.count("decade"), 1u);
    const auto& decade = rows.at("decade");
    if (decade.at("available") == "0") {
        // This build cannot run DECADE peers: the summary must say so, with no numbers.
        EXPECT_NE(decade.at("note").find("not available in this build"), std::string::npos);
        EXPECT_EQ(decade.at("reported"), "0");
    } else {
        EXPECT_EQ(decade.at("reported"), "5") << text;
        EXPECT_EQ(decade.at("upload_media_bytes"), "0");  // DECADE peers upload no media
    }
}

// --tls: the tracker and the DECADE server serve HTTPS with a certificate from the run's
// own CA, every process verifies it, and the DECADE viewers still play from storage.
TEST(TestbedIntegration, TlsRunServesHttpsAndDecadeViewersPlay) {
    TempDir dir("p2pls-testbed");
    const fs::path out = dir.path() / "out";
    auto testbed =
        spawn_testbed({"run", scenario("smoke.toml"), "--tls", "--out", out.string()}, dir.path());
    const int code = wait_exit(testbed, std::chrono::seconds(170));
    const std::string text = testbed.output();
    ASSERT_EQ(code, 0) << text;
    ASSERT_TRUE(fs::exists(out / "tls" / "ca.pem")) << text;
    const auto read = [](const fs::path& path) {
        std::ifstream in(path);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    EXPECT_NE(read(out / "decade" / "logs" / "tracker.log").find("listening on https://"),
              std::string::npos);
    EXPECT_NE(read(out / "decade" / "logs" / "decade-0.log").find("listening on https://"),
              std::string::npos);
    const auto rows = read_summary_csv(out / "summary.csv");
    ASSERT_EQ(rows.count("decade"), 1u);
    const auto& decade = rows.at("decade");
    if (decade.at("available") == "0") {
        GTEST_SKIP() << "this build cannot run DECADE peers: " << decade.at("note");
    }
    EXPECT_EQ(decade.at("reported"), "5") << text;
    EXPECT_NE(decade.at("bytes_from_decade"), "0") << text;  // media came over HTTPS
    EXPECT_EQ(decade.at("upload_media_bytes"), "0");
}

TEST(TestbedIntegration, SigintTearsDownEveryChild) {
    TempDir dir("p2pls-testbed");
    auto testbed = spawn_testbed(
        {"run", scenario("smoke.toml"), "--out", (dir.path() / "out").string()}, dir.path());
    const auto children = start_and_wait_for_peers(testbed);
    ASSERT_FALSE(children.empty());
    testbed.signal(SIGINT);
    EXPECT_EQ(wait_exit(testbed, std::chrono::seconds(30)), 130);
    expect_all_gone(children, std::chrono::seconds(5));
    // What it had is still summarised and plotted (the teardown's own commands are not
    // cut short by the signal).
    EXPECT_TRUE(fs::exists(dir.path() / "out" / "summary.csv"));
    EXPECT_TRUE(fs::exists(dir.path() / "out" / "plots" / "startup.png"));
}

TEST(TestbedIntegration, SigkillOfTheTestbedKillsEveryChild) {
    TempDir dir("p2pls-testbed");
    auto testbed = spawn_testbed(
        {"run", scenario("smoke.toml"), "--out", (dir.path() / "out").string()}, dir.path());
    const auto children = start_and_wait_for_peers(testbed);
    ASSERT_FALSE(children.empty());
    testbed.signal(SIGKILL);
    EXPECT_EQ(wait_exit(testbed, std::chrono::seconds(10)), 128 + SIGKILL);
    // PR_SET_PDEATHSIG: the kernel kills them; nothing of the testbed's survives.
    expect_all_gone(children, std::chrono::seconds(10));
}

TEST(TestbedIntegration, BadScenarioIsAOneLineErrorAndExit2) {
    TempDir dir("p2pls-testbed");
    const fs::path bad = dir.path() / "bad.toml";
    std::ofstream(bad) << "name = \"x\"\n[peers]\ncount = -3\n";
    auto testbed = spawn_testbed({"run", bad.string()}, dir.path());
    EXPECT_EQ(wait_exit(testbed, std::chrono::seconds(10)), 2);
    std::ifstream log(dir.path() / "log");
    std::string line;
    std::getline(log, line);
    EXPECT_NE(line.find("peers.count"), std::string::npos) << line;
}

// The simulator has no sockets: --sim with --tls or --netns is a usage error, not a flag
// silently dropped.
TEST(TestbedIntegration, SimWithTlsOrNetnsIsAUsageError) {
    for (const char* flag : {"--tls", "--netns"}) {
        SCOPED_TRACE(flag);
        TempDir dir("p2pls-testbed");
        auto testbed =
            spawn_testbed({"run", "--sim", flag, scenario("draft-flash-crowd.toml")}, dir.path());
        EXPECT_EQ(wait_exit(testbed, std::chrono::seconds(10)), 2);
        std::ifstream log(dir.path() / "log");
        std::string line;
        std::getline(log, line);
        EXPECT_NE(line.find(std::string(flag) + " and --sim exclude each other"), std::string::npos)
            << line;
    }
}

// Runs a command through the shell; true when it exits 0.
bool sh(const std::string& command) {
    return std::system((command + " 2>/dev/null").c_str()) == 0;
}

TEST(TestbedIntegration, NetnsRunsPeersInNamespacesOrSaysWhy) {
    TempDir dir("p2pls-testbed");
    const fs::path out = dir.path() / "out";
    // As if a testbed with tag 99999 had been killed mid-run: a namespace, its bridge and
    // a veth pair never moved into a namespace. Plus a namespace that only looks alike.
    const bool root = geteuid() == 0;
    if (root) {
        sh("ip netns add p2tb99999-0");
        sh("ip link add p2tb99999br type bridge");
        sh("ip link add p2tb99999h1 type veth peer name p2tb99999p1");
        sh("ip netns add p2tbkeep");
    }
    auto testbed = spawn_testbed({"run", scenario("smoke.toml"), "--netns", "--out", out.string()},
                                 dir.path());
    const int code = wait_exit(testbed, std::chrono::seconds(170));
    const std::string text = testbed.output();
    if (!root) {
        EXPECT_EQ(code, 2);
        EXPECT_NE(text.find("needs root"), std::string::npos) << text;
        return;
    }
    EXPECT_FALSE(fs::exists("/run/netns/p2tb99999-0"));
    EXPECT_FALSE(fs::exists("/sys/class/net/p2tb99999br"));
    EXPECT_FALSE(fs::exists("/sys/class/net/p2tb99999h1"));
    EXPECT_TRUE(fs::exists("/run/netns/p2tbkeep")) << "not a testbed name: left alone";
    sh("ip netns del p2tbkeep");
    EXPECT_NE(text.find("removed 3 namespaces and interfaces"), std::string::npos) << text;
    ASSERT_EQ(code, 0) << text;
    const auto rows = read_summary_csv(out / "summary.csv");
    ASSERT_EQ(rows.count("native"), 1u);
    EXPECT_EQ(rows.at("native").at("reported"), "5") << text;
    // The peers ran in their namespaces, and the namespaces are gone.
    std::ifstream peer_log(out / "native" / "logs" / "peer-000.s0.log");
    const std::string peer_text((std::istreambuf_iterator<char>(peer_log)),
                                std::istreambuf_iterator<char>());
    EXPECT_EQ(peer_text.find("127.0.0.1"), std::string::npos) << peer_text;
    const std::string tag = "p2tb" + std::to_string(testbed.pid() % 100'000) + "-";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
        EXPECT_NE(entry.path().filename().string().rfind(tag, 0), 0u) << entry.path();
    }
}

TEST(TestbedIntegration, CheckShowsBothSupplyTotalsWithoutRunning) {
    TempDir dir("p2pls-testbed");
    auto testbed = spawn_testbed({"check", scenario("draft-flash-crowd.toml")}, dir.path());
    EXPECT_EQ(wait_exit(testbed, std::chrono::seconds(10)), 0);
    const std::string text = testbed.output();
    EXPECT_NE(text.find("native N x Bu = 30 x 75000 B/s = 2250000 B/s"), std::string::npos) << text;
    EXPECT_NE(text.find("DECADE servers total = 2250000 B/s"), std::string::npos) << text;
    EXPECT_NE(text.find("30 session starts"), std::string::npos) << text;
}

TEST(TestbedIntegration, SimRunsTheScenarioOnTheSimulator) {
    TempDir dir("p2pls-testbed");
    const fs::path out = dir.path() / "out";
    auto testbed =
        spawn_testbed({"run", scenario("smoke.toml"), "--sim", "--out", out.string()}, dir.path());
    EXPECT_EQ(wait_exit(testbed, std::chrono::seconds(60)), 0);
    const auto rows = read_summary_csv(out / "summary.csv");
    ASSERT_EQ(rows.count("native"), 1u);
    EXPECT_EQ(rows.at("native").at("reported"), "5");
    EXPECT_TRUE(fs::exists(out / "native" / "reports" / "peer-004.s0.jsonl"));
    ASSERT_EQ(rows.count("decade"), 1u);
    EXPECT_EQ(rows.at("decade").at("available"), "1");
    EXPECT_EQ(rows.at("decade").at("reported"), "5");
    EXPECT_EQ(rows.at("decade").at("upload_media_bytes"), "0");
}

}  // namespace
}  // namespace p2pls::experiments
