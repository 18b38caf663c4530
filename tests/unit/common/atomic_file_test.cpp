#include "common/posix/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/child_process.hpp"

namespace p2pls::posix {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

// Names in `dir` other than `keep`: temp files that outlived a write.
std::size_t others(const fs::path& dir, const fs::path& keep) {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        n += entry.path() != keep ? 1 : 0;
    }
    return n;
}

TEST(AtomicFile, PortFileHoldsThePortAndANewline) {
    const p2pls::testing::TempDir dir("atomic-file");
    const auto path = dir.path() / "port";
    ASSERT_TRUE(write_port_file(path, 43210));
    EXPECT_EQ(slurp(path), "43210\n");
    EXPECT_EQ(others(dir.path(), path), 0U);
}

TEST(AtomicFile, ReplacesAWholeFileAndLeavesNoTempFile) {
    const p2pls::testing::TempDir dir("atomic-file");
    const auto path = dir.path() / "report.json";
    ASSERT_TRUE(write_file_atomically(path, std::string(100'000, 'x')));
    ASSERT_TRUE(write_file_atomically(path, "short"));
    EXPECT_EQ(slurp(path), "short");
    EXPECT_EQ(others(dir.path(), path), 0U);
}

TEST(AtomicFile, WrittenFileIsReadableByOthers) {
    const p2pls::testing::TempDir dir("atomic-file");
    const auto path = dir.path() / "port";
    ASSERT_TRUE(write_port_file(path, 1));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644U);
}

TEST(AtomicFile, MissingDirectoryIsAnIoError) {
    const p2pls::testing::TempDir dir("atomic-file");
    const auto path = dir.path() / "no-such-dir" / "port";
    const auto r = write_port_file(path, 8080);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::io_error));
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(others(dir.path(), path), 0U);
}

TEST(AtomicFile, TargetThatIsADirectoryFailsAndLeavesNoTempFile) {
    const p2pls::testing::TempDir dir("atomic-file");
    const auto path = dir.path() / "taken";
    fs::create_directory(path);
    EXPECT_FALSE(write_port_file(path, 8080));
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_EQ(others(dir.path(), path), 0U);
}

}  // namespace
}  // namespace p2pls::posix
