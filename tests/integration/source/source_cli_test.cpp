// p2pls-source as a process: bad flags and bad inputs give one clear line and the
// documented exit code; the key file is created 0600 and reused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/support/child_process.hpp"

namespace p2pls::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class SourceCli : public ::testing::Test {
  protected:
    std::pair<int, std::string> source(std::vector<std::string> args) {
        std::vector<std::string> argv = {bin_path("p2pls-source"), "--key",
                                         (dir_ / "test.key").string(), "--listen", "127.0.0.1:0"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, 30s);
    }

    const TempDir tmp_{"p2pls-source-cli"};
    const fs::path dir_ = tmp_.path();
};

TEST_F(SourceCli, HelpExitsZero) {
    const auto [code, out] = source({"--help"});
    EXPECT_EQ(code, 0);
    for (const char* flag :
         {"--channel", "--tracker", "--listen", "--chunk-ms", "--bitrate", "--input", "--replay",
          "--loop", "--key", "--record", "--upload-limit", "--duration", "--mode"}) {
        EXPECT_NE(out.find(flag), std::string::npos) << flag;
    }
}

TEST_F(SourceCli, UnknownFlag) {
    const auto [code, out] = source({"--no-such-flag"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("--no-such-flag"), std::string::npos) << out;
}

TEST_F(SourceCli, BadBitrate) {
    auto [code, out] = source({"--bitrate", "0"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("--bitrate"), std::string::npos) << out;
    std::tie(code, out) = source({"--bitrate", "fast"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("--bitrate"), std::string::npos) << out;
}

TEST_F(SourceCli, BadUploadLimit) {
    const auto [code, out] = source({"--upload-limit", "lots"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("--upload-limit"), std::string::npos) << out;
}

TEST_F(SourceCli, MissingInputFile) {
    const auto [code, out] = source({"--input", (dir_ / "missing.mp4").string()});
    EXPECT_EQ(code, 3);
    EXPECT_NE(out.find("not found"), std::string::npos) << out;
    EXPECT_NE(out.find("missing.mp4"), std::string::npos) << out;
}

TEST_F(SourceCli, UnreadableUri) {
    const auto [code, out] = source({"--input", "file:///nonexistent/p2pls/clip.mp4"});
    EXPECT_EQ(code, 3);
    EXPECT_NE(out.find("error"), std::string::npos) << out;
}

TEST_F(SourceCli, ReplayOfSomethingThatIsNotTs) {
    const auto junk = dir_ / "junk.ts";
    std::ofstream(junk) << std::string(100000, 'x');
    const auto [code, out] = source({"--replay", junk.string()});
    EXPECT_EQ(code, 3);
    EXPECT_NE(out.find("MPEG-TS"), std::string::npos) << out;
}

TEST_F(SourceCli, DecadeModeLockerNeedsItsSecret) {
    const auto [code, out] = source({"--mode", "decade", "--locker", "l-1"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("--locker-secret-file"), std::string::npos) << out;
}

TEST_F(SourceCli, BadListenAddress) {
    std::vector<std::string> argv = {bin_path("p2pls-source"), "--key",
                                     (dir_ / "test.key").string(), "--listen", "nowhere"};
    const auto [code, out] = run(argv, 30s);
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("--listen"), std::string::npos) << out;
}

TEST_F(SourceCli, MissingPluginNamesTheDebianPackage) {
    // An empty plugin path and a fresh registry: GStreamer finds no plugin at all.
    fs::create_directories(dir_ / "no-plugins");
    const std::vector<std::string> env = {
        "GST_PLUGIN_SYSTEM_PATH_1_0=" + (dir_ / "no-plugins").string(),
        "GST_PLUGIN_SYSTEM_PATH=" + (dir_ / "no-plugins").string(),
        "GST_PLUGIN_PATH_1_0=" + (dir_ / "no-plugins").string(),
        "GST_PLUGIN_PATH=" + (dir_ / "no-plugins").string(),
        "GST_REGISTRY_1_0=" + (dir_ / "registry.bin").string(),
        "GST_REGISTRY=" + (dir_ / "registry.bin").string()};
    std::vector<std::string> argv = {bin_path("p2pls-source"),
                                     "--key",
                                     (dir_ / "test.key").string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--tracker",
                                     ""};
    const auto [code, out] = run(argv, 30s, {.env = env});
    EXPECT_EQ(code, 3);
    EXPECT_NE(out.find("is missing: install the Debian package gstreamer1.0-plugins-"),
              std::string::npos)
        << out;
}

TEST_F(SourceCli, LoopNeedsAnInput) {
    const auto [code, out] = source({"--loop"});
    EXPECT_EQ(code, 2);
}

TEST_F(SourceCli, CorruptKeyFile) {
    std::ofstream(dir_ / "test.key") << "not a key\n";
    const auto [code, out] = source({"--duration", "0.2"});
    EXPECT_EQ(code, 2);
    EXPECT_NE(out.find("test.key"), std::string::npos) << out;
}

TEST_F(SourceCli, KeyFileIsCreatedPrivateAndReused) {
    auto [code, out] = source({"--duration", "0.3", "--width", "160", "--height", "90"});
    ASSERT_EQ(code, 0) << out;
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "test.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto key_line = [](const std::string& text) {
        const auto at = text.find("public key ");
        return at == std::string::npos ? std::string() : text.substr(at + 11, 64);
    };
    const std::string first = key_line(out);
    ASSERT_EQ(first.size(), 64u) << out;
    EXPECT_NE(out.find("created channel key"), std::string::npos);
    std::tie(code, out) = source({"--duration", "0.3", "--width", "160", "--height", "90"});
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(key_line(out), first);
    EXPECT_EQ(out.find("created channel key"), std::string::npos);
}

}  // namespace
}  // namespace p2pls::testing
