#include "common/posix/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace p2pls::posix {
namespace {

// True while `fd` names an open descriptor of this process.
bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

TEST(Fd, ClosesWhatItOwnsOnDestruction) {
    int raw = -1;
    {
        Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ASSERT_TRUE(fd.ok());
        raw = fd.get();
        EXPECT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw));
}

TEST(Fd, NegativeOwnsNothing) {
    Fd failed(-1);
    EXPECT_FALSE(failed.ok());
    EXPECT_FALSE(static_cast<bool>(failed));
    Fd empty;
    EXPECT_EQ(empty.get(), -1);
}

TEST(Fd, MoveTransfersOwnershipAndEmptiesTheSource) {
    Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    const int raw = a.get();
    Fd b(std::move(a));
    EXPECT_EQ(b.get(), raw);
    EXPECT_FALSE(a.ok());  // a moved-from Fd owns nothing
    EXPECT_TRUE(is_open(raw));
}

TEST(Fd, MoveAssignmentClosesTheOldDescriptor) {
    Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    Fd b(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    const int old_b = b.get();
    const int raw_a = a.get();
    b = std::move(a);
    EXPECT_FALSE(is_open(old_b));
    EXPECT_EQ(b.get(), raw_a);
    EXPECT_TRUE(is_open(raw_a));
}

TEST(Fd, ReleaseGivesUpWithoutClosing) {
    int raw = -1;
    {
        Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        raw = fd.release();
        EXPECT_FALSE(fd.ok());
    }
    EXPECT_TRUE(is_open(raw));
    ::close(raw);
}

TEST(Fd, ResetClosesAndTakesTheNewOne) {
    Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    const int first = fd.get();
    fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.ok());
    // The new descriptor was opened while the first was still open, so they differ.
    EXPECT_NE(fd.get(), first);
    EXPECT_FALSE(is_open(first));
    fd.reset();
    EXPECT_FALSE(fd.ok());
}

}  // namespace
}  // namespace p2pls::posix
