// Documentation that cannot rot: every command block (```sh) of the user-facing docs runs
// here as written, taken from the Markdown itself, so a changed README is a changed test.
// Each block runs in its own sandbox: fresh network, PID and mount namespaces, with only
// loopback up and a private /tmp. The defaults the docs rely on (tracker on 8200, DECADE
// server on 8300, player on 8080, files in /tmp) are then real and collide with nothing
// on the machine, and when the sandbox ends, everything the block started ends with it.
// The test looks inside through nsenter (curl to the block's ports) and through the
// private /tmp, and asserts what the text around the block promises.
//
// Needs root for the namespaces (CI runs as root); elsewhere each test says it skipped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/docs/markdown_blocks.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls::docs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using p2pls::testing::ChildOptions;
using p2pls::testing::ChildProcess;

// The documents a user is pointed at; each of their command blocks has a test below.
const std::vector<std::string> kDocuments = {
    "README.md",        "tracker/README.md", "decade-server/README.md", "source/README.md",
    "player/README.md", "docs/testbed.md",   "alto/README.md",
};

// "README.md#Running a channel by hand#1": a block by document, heading and place.
std::string key_of(const std::string& document, const CommandBlock& block) {
    return document + "#" + block.heading + "#" + std::to_string(block.ordinal);
}

// The keys of the blocks this file tests; a block not listed fails EveryBlockIsTested.
const std::vector<std::string> kTestedBlocks = {
    "README.md#Quick start#0",
    "README.md#Running a channel by hand#0",
    "README.md#Running a channel by hand#1",
    "README.md#Running a channel by hand#2",
    "README.md#Running over TLS#0",
    "README.md#Building by hand#0",
    "decade-server/README.md#Quick start#0",
    "alto/README.md#Asking it#0",
};

fs::path source_dir() {
    return P2PLS_SOURCE_DIR;
}

fs::path bin_dir() {
    return fs::weakly_canonical(p2pls::testing::bin_path(""));
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::optional<CommandBlock> find_block(const std::string& key) {
    for (const auto& document : kDocuments) {
        for (const auto& block : scan_markdown(read_file(source_dir() / document)).commands) {
            if (key_of(document, block) == key) {
                return block;
            }
        }
    }
    return std::nullopt;
}

// Why blocks cannot run in a sandbox here; nullopt when they can.
std::optional<std::string> sandbox_unavailable() {
    if (::geteuid() != 0) {
        return "not root: the docs tests need network and mount namespaces";
    }
    const auto [code, out] = p2pls::testing::run({"unshare", "--net", "--mount", "true"}, 10s);
    if (code != 0) {
        return "unshare --net --mount fails here: " + out;
    }
    return std::nullopt;
}

// One block running in its sandbox. `cwd` is where the reader stands (a mirror of the
// repository by default); the private /tmp is `work/tmp`, readable from outside.
class Sandbox {
  public:
    Sandbox(const std::string& name, const CommandBlock& block, std::optional<fs::path> cwd = {})
        : work_(bin_dir().parent_path() / "docs-work" / name) {
        fs::remove_all(work_);
        fs::create_directories(tmp());
        const fs::path tree = work_ / "tree";
        if (!cwd) {
            // The repository as a reader sees it, with the build this test belongs to in
            // the place the README names.
            fs::create_directories(tree / "build" / "release");
            for (const auto& entry : fs::directory_iterator(source_dir())) {
                const auto name_in_tree = entry.path().filename();
                if (name_in_tree != "build" && name_in_tree != ".git") {
                    fs::create_directory_symlink(entry.path(), tree / name_in_tree);
                }
            }
            fs::create_directory_symlink(bin_dir(), tree / "build" / "release" / "bin");
            cwd = tree;
        }
        const fs::path script = work_ / "block.sh";
        std::ofstream(script) << block.text;
        ChildOptions options;
        options.log_file = work_ / "output.log";
        // The executables by name, as the role guides write them.
        options.env.push_back("PATH=" + bin_dir().string() + ":" +
                              (std::getenv("PATH") != nullptr ? std::getenv("PATH") : ""));
        // Headless, as in CI: the player's --sink auto then decodes without a window.
        options.env.push_back("DISPLAY=");
        options.env.push_back("WAYLAND_DISPLAY=");
        child_.emplace(
            std::vector<std::string>{
                "unshare", "--fork", "--pid", "--net", "--mount", "--kill-child", "--", "bash",
                "-c",
                "ip link set lo up && mount --bind \"$0\" /tmp && cd \"$1\" && exec bash \"$2\"",
                tmp().string(), cwd->string(), script.string()},
            options);
    }
    ~Sandbox() {
        if (child_) {
            child_->stop(SIGTERM, 5s);
        }
    }
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    [[nodiscard]] fs::path tmp() const { return work_ / "tmp"; }
    ChildProcess& child() { return *child_; }
    [[nodiscard]] std::string output() const { return child_->output(); }

    // GET `url` from inside the sandbox's network; nullopt when it does not answer 2xx.
    std::optional<std::string> get(const std::string& url) {
        const auto [code, out] =
            p2pls::testing::run({"nsenter", "-t", std::to_string(child_->pid()), "-n", "curl",
                                 "-fsS", "--max-time", "3", url},
                                10s, ChildOptions{.separate_stderr = true});
        if (code != 0) {
            return std::nullopt;
        }
        return out;
    }

    // Saves the first second of GET `url` (a stream never ends) into `file`; curl's exit.
    int save(const std::string& url, const fs::path& file) {
        return p2pls::testing::run({"nsenter", "-t", std::to_string(child_->pid()), "-n", "curl",
                                    "-sS", "--max-time", "1", "-o", file.string(), url},
                                   10s)
            .first;
    }

  private:
    fs::path work_;
    std::optional<ChildProcess> child_;
};

#define SKIP_WITHOUT_SANDBOX()                        \
    do {                                              \
        if (const auto why = sandbox_unavailable()) { \
            GTEST_SKIP() << *why;                     \
        }                                             \
    } while (false)

// The last line of a JSON-lines file that mentions `field`.
std::string last_line(const fs::path& file) {
    std::istringstream in(read_file(file));
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    return last;
}

// A number field of a flat JSON text ("name":12 or "name":"12"); nullopt when absent.
std::optional<double> json_number(const std::string& json, const std::string& name) {
    const std::string needle = "\"" + name + "\":";
    const auto at = json.find(needle);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    std::size_t i = at + needle.size();
    if (i < json.size() && json[i] == '"') {
        ++i;
    }
    try {
        return std::stod(json.substr(i));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// --- the structure of the docs ------------------------------------------------------

TEST(DocsCommands, EveryBlockIsTestedAndFencedAsSh) {
    std::vector<std::string> found;
    for (const auto& document : kDocuments) {
        const std::string text = read_file(source_dir() / document);
        ASSERT_FALSE(text.empty()) << document << " is missing";
        const auto md = scan_markdown(text);
        EXPECT_TRUE(md.indented_code_lines.empty())
            << document << ":" << md.indented_code_lines.front()
            << ": an indented code block; write commands in a ```sh fence (so they are tested) "
               "and anything else in a plain ``` fence";
        EXPECT_TRUE(md.unclosed_fence_lines.empty())
            << document << ":" << md.unclosed_fence_lines.front() << ": a fence never closes";
        for (const auto& block : md.commands) {
            found.push_back(key_of(document, block));
            EXPECT_NE(std::find(kTestedBlocks.begin(), kTestedBlocks.end(), found.back()),
                      kTestedBlocks.end())
                << document << ":" << block.line << ": command block \"" << found.back()
                << "\" has no test in tests/docs/docs_commands_test.cpp";
        }
    }
    for (const auto& key : kTestedBlocks) {
        EXPECT_NE(std::find(found.begin(), found.end(), key), found.end())
            << "the docs no longer have the block " << key << "; update kTestedBlocks";
    }
}

// --- README.md --------------------------------------------------------------------------

// The quick start's two commands. ./scripts/test.sh is what CI runs (.ci/run execs it),
// so here it is checked to be that command; ./scripts/demo.sh runs for real, on the build
// the test belongs to (it must be build/release, the folder demo.sh builds).
TEST(DocsCommands, ReadmeQuickStartDemoRunsTheComparison) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("README.md#Quick start#0");
    ASSERT_TRUE(block);
    const auto lines = command_lines(block->text);
    ASSERT_EQ(lines, (std::vector<std::string>{"./scripts/demo.sh", "./scripts/test.sh"}));
    EXPECT_NE(read_file(source_dir() / ".ci/run").find("exec ./scripts/test.sh"), std::string::npos)
        << ".ci/run must run the README's test command";
    if (bin_dir() != fs::weakly_canonical(source_dir() / "build" / "release" / "bin")) {
        GTEST_SKIP() << "demo.sh builds and runs build/release; this test belongs to " << bin_dir();
    }
    CommandBlock demo = *block;
    // The README's command with shorter runs (its comment documents the extra arguments):
    // the same script, build and comparison, in 20 s per mode instead of 60.
    demo.text = "./scripts/demo.sh --duration 20\n";
    Sandbox box("quick-start", demo, source_dir());
    const auto code = box.child().wait(9min);
    ASSERT_TRUE(code) << "demo.sh did not finish in 9 min\n" << box.output();
    ASSERT_EQ(*code, 0) << box.output();
    const std::string out = box.output();
    const auto at = out.find("summary: ");
    ASSERT_NE(at, std::string::npos) << out;
    const std::string md_path = out.substr(at + 9, out.find('\n', at) - at - 9);
    // demo.sh runs from the repository root: a relative path is relative to it.
    fs::path csv = fs::path(md_path).replace_extension(".csv");
    if (csv.is_relative()) {
        csv = source_dir() / csv;
    }
    const std::string table = read_file(csv);
    EXPECT_NE(table.find("native"), std::string::npos) << table;
    EXPECT_NE(table.find("decade"), std::string::npos) << table;
    EXPECT_NE(out.find("plot:"), std::string::npos) << out;
}

// A native channel by hand: the relay peer plays and reports; the player decodes and
// serves /stream.ts (MPEG-TS), /stats and the web page with its HLS playlist; the source
// records signed chunks.
TEST(DocsCommands, ReadmeNativeChannelByHandPlays) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("README.md#Running a channel by hand#0");
    ASSERT_TRUE(block);
    Sandbox box("native-by-hand", *block);
    std::string stats;
    const bool playing = p2pls::testing::wait_until(
        [&] {
            stats = box.get("http://127.0.0.1:8080/stats").value_or("");
            return json_number(stats, "frames_decoded").value_or(0) > 0 &&
                   json_number(last_line(box.tmp() / "peer.jsonl"), "startup_delay_s")
                           .value_or(-1) >= 0;
        },
        60s);
    ASSERT_TRUE(playing) << "stats: " << stats << "\npeer: " << last_line(box.tmp() / "peer.jsonl")
                         << "\n"
                         << box.output();
    // The first second of the live stream, as VLC or mpv would get it.
    const int code = box.save("http://127.0.0.1:8080/stream.ts", box.tmp() / "head.ts");
    const std::string bytes = read_file(box.tmp() / "head.ts");
    ASSERT_GE(bytes.size(), 188u) << "no MPEG-TS from /stream.ts (curl exit " << code << ")";
    EXPECT_EQ(bytes[0], 0x47) << "not an MPEG-TS sync byte";
    std::size_t chunks = 0;
    for (const auto& entry : fs::directory_iterator(box.tmp() / "chunks")) {
        chunks += entry.is_regular_file() ? 1 : 0;
    }
    EXPECT_GT(chunks, 0u) << "--record /tmp/chunks wrote nothing";
    // "open http://127.0.0.1:8080/ in a browser": the page, its hls.js, and the playlist
    // it plays (the browser itself is tests/media/player/web_player_test.cpp).
    const std::string page = box.get("http://127.0.0.1:8080/").value_or("");
    EXPECT_NE(page.find("<video"), std::string::npos) << page;
    EXPECT_NE(box.get("http://127.0.0.1:8080/hls.min.js").value_or("").find("Hls"),
              std::string::npos)
        << "hls.js not served: web/node_modules missing?";
    const std::string playlist = box.get("http://127.0.0.1:8080/live.m3u8").value_or("");
    EXPECT_EQ(playlist.rfind("#EXTM3U", 0), 0u) << playlist;
    EXPECT_NE(playlist.find("seg/"), std::string::npos) << playlist;
}

// The README's DECADE channel plays from storage: the relay peer and the player both
// take their media from the DECADE server, and neither uploads any.
TEST(DocsCommands, ReadmeDecadeChannelPlaysFromStorage) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("README.md#Running a channel by hand#1");
    ASSERT_TRUE(block);
    Sandbox box("decade-by-hand", *block);
    std::string stats;
    // 90 % of the player's media from storage, after enough media that it means something.
    const bool from_storage = p2pls::testing::wait_until(
        [&] {
            stats = box.get("http://127.0.0.1:8080/stats").value_or("");
            return json_number(stats, "frames_decoded").value_or(0) > 0 &&
                   json_number(stats, "chunks_played").value_or(0) >= 8 &&
                   json_number(stats, "decade_share").value_or(0) >= 0.9;
        },
        90s);
    ASSERT_TRUE(from_storage) << "player stats: " << stats << "\n" << box.output();
    EXPECT_NE(stats.find("\"decade_unavailable\":null"), std::string::npos) << stats;
    EXPECT_EQ(json_number(stats, "socket_media_bytes_sent").value_or(-1), 0) << stats;
    EXPECT_EQ(json_number(stats, "upload_media_bytes").value_or(-1), 0) << stats;
    const std::string peer = last_line(box.tmp() / "decade-peer.jsonl");
    EXPECT_EQ(json_number(peer, "socket_media_bytes_sent").value_or(-1), 0) << peer;
    EXPECT_GT(json_number(peer, "bytes_from_decade").value_or(0), 0) << peer;
    EXPECT_NE(peer.find("\"mode\":\"decade\""), std::string::npos) << peer;
}

// The README's DECADE channel over HTTPS: the tracker and the DECADE server serve TLS with
// a certificate from the block's own CA, every client verifies it, and the player still
// takes its media from storage.
TEST(DocsCommands, ReadmeTlsChannelPlaysFromStorageOverHttps) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("README.md#Running over TLS#0");
    ASSERT_TRUE(block);
    Sandbox box("tls-by-hand", *block);
    std::string stats;
    const bool from_storage = p2pls::testing::wait_until(
        [&] {
            stats = box.get("http://127.0.0.1:8080/stats").value_or("");
            return json_number(stats, "chunks_played").value_or(0) >= 8 &&
                   json_number(stats, "decade_share").value_or(0) >= 0.9;
        },
        90s);
    ASSERT_TRUE(from_storage) << "player stats: " << stats << "\n" << box.output();
    EXPECT_EQ(json_number(stats, "upload_media_bytes").value_or(-1), 0) << stats;
    // Both servers speak TLS only: a plain request gets no HTTP answer.
    EXPECT_FALSE(box.get("http://127.0.0.1:8200/v1/channels"));
    EXPECT_FALSE(box.get("http://127.0.0.1:8300/metrics"));
}

// The testbed block: the scenario checks, and its simulated comparison prints both modes.
TEST(DocsCommands, ReadmeTestbedBlockRuns) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("README.md#Running a channel by hand#2");
    ASSERT_TRUE(block);
    Sandbox box("testbed", *block);
    const auto code = box.child().wait(8min);
    ASSERT_TRUE(code) << box.output();
    EXPECT_EQ(*code, 0) << box.output();
    const std::string out = box.output();
    EXPECT_NE(out.find("native"), std::string::npos) << out;
    EXPECT_NE(out.find("decade"), std::string::npos) << out;
    EXPECT_NE(out.find("summary: "), std::string::npos) << out;
}

// Building by hand: setup, configure, build and the unit tests, on this very build (a
// no-op build when the tree is built whole); elsewhere it would be a whole new build.
TEST(DocsCommands, ReadmeBuildingByHandPassesTheUnitTests) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("README.md#Building by hand#0");
    ASSERT_TRUE(block);
    if (bin_dir() != fs::weakly_canonical(source_dir() / "build" / "release" / "bin")) {
        GTEST_SKIP() << "the block builds build/release; this test belongs to " << bin_dir();
    }
    // scripts/test.sh builds the release tree without the unit tests (they run under the
    // sanitizers there), and the block would spend most of a build on them.
    if (!fs::exists(bin_dir() / "tracker_core_test")) {
        GTEST_SKIP() << "the unit tests are not built in " << bin_dir();
    }
    Sandbox box("building-by-hand", *block, source_dir());
    const auto code = box.child().wait(12min);
    ASSERT_TRUE(code) << box.output();
    EXPECT_EQ(*code, 0) << box.output();
    EXPECT_NE(box.output().find("100% tests passed"), std::string::npos) << box.output();
}

// --- decade-server/README.md ------------------------------------------------------------

// The token walk-through: a locker from an accounts file, a token minted offline, an
// object put and got back with it.
TEST(DocsCommands, DecadeServerQuickStartReturnsTheObject) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("decade-server/README.md#Quick start#0");
    ASSERT_TRUE(block);
    const fs::path dir = bin_dir().parent_path() / "docs-work" / "decade-server-cwd";
    fs::remove_all(dir);
    fs::create_directories(dir);
    Sandbox box("decade-server-quick-start", *block, dir);
    const auto code = box.child().wait(60s);
    ASSERT_TRUE(code) << box.output();
    EXPECT_EQ(*code, 0) << box.output();
    const std::string sent = read_file(dir / "file");
    ASSERT_FALSE(sent.empty()) << "the block puts ./file; it made none";
    EXPECT_NE(box.output().find(sent), std::string::npos) << "the GET did not return the object\n"
                                                          << box.output();
}

// --- alto/README.md ---------------------------------------------------------------------

// The default maps, asked with curl: loopback ranks before the rest of the world.
TEST(DocsCommands, AltoAskingItRanksLoopbackFirst) {
    SKIP_WITHOUT_SANDBOX();
    auto block = find_block("alto/README.md#Asking it#0");
    ASSERT_TRUE(block);
    Sandbox box("alto-asking-it", *block);
    const auto code = box.child().wait(60s);
    ASSERT_TRUE(code) << box.output();
    EXPECT_EQ(*code, 0) << box.output();
    EXPECT_NE(box.output().find(R"("ipv4:127.0.0.1":{"ipv4:127.0.0.1":1,"ipv4:192.0.2.7":2})"),
              std::string::npos)
        << box.output();
}

}  // namespace
}  // namespace p2pls::docs
