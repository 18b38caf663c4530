#include "common/posix/small_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/child_process.hpp"

namespace p2pls::posix {
namespace {

TEST(SmallFile, ReadsAWholeFileAndRefusesOneOverTheCap) {
    testing::TempDir tmp("p2pls-small-file");
    const auto path = tmp.path() / "config.toml";
    std::string text;
    for (int i = 0; i < 10'000; ++i) {
        text += "line " + std::to_string(i) + "\n";  // several reads' worth
    }
    std::ofstream(path, std::ios::binary) << text;
    std::string why;
    EXPECT_EQ(read_small_file(path, why), text);
    EXPECT_EQ(read_small_file(path, why, text.size()), text);
    EXPECT_FALSE(read_small_file(path, why, text.size() - 1));
    EXPECT_NE(why.find("larger than"), std::string::npos) << why;
    EXPECT_FALSE(read_small_file(tmp.path() / "absent", why));
    EXPECT_NE(why.find("cannot read"), std::string::npos) << why;
    EXPECT_FALSE(read_small_file(tmp.path(), why));  // a directory
    // A device that never ends is cut off at the cap, not read into memory.
    EXPECT_FALSE(read_small_file("/dev/zero", why, 1 << 20));
    EXPECT_NE(why.find("larger than"), std::string::npos) << why;
}

}  // namespace
}  // namespace p2pls::posix
