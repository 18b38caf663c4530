// OpenBlobs: the least recently used file goes first, at most `capacity` stay open, and
// shedding lets the older half go.
#include "decade-server/store/open_blobs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

namespace p2pls::decade_server {
namespace {

BlobHash h(unsigned char n) {
    BlobHash out{};
    out[0] = n;
    return out;
}

OpenBlobs::Entry entry() {
    return {std::make_shared<const posix::Fd>(::open("/dev/null", O_RDONLY | O_CLOEXEC)), 0};
}

TEST(OpenBlobs, TheLeastRecentlyUsedGoesFirst) {
    OpenBlobs open(2);
    open.insert(h(1), entry());
    open.insert(h(2), entry());
    ASSERT_NE(open.find(h(1)), nullptr);  // 1 is now the most recent
    open.insert(h(3), entry());
    EXPECT_EQ(open.size(), 2u);
    EXPECT_NE(open.find(h(1)), nullptr);
    EXPECT_EQ(open.find(h(2)), nullptr);
    EXPECT_NE(open.find(h(3)), nullptr);
    open.erase(h(1));
    EXPECT_EQ(open.find(h(1)), nullptr);
    EXPECT_EQ(open.size(), 1u);
}

TEST(OpenBlobs, ADescriptorInUseOutlivesItsEviction) {
    OpenBlobs open(1);
    const OpenBlobs::Entry first = entry();
    open.insert(h(1), first);
    open.insert(h(2), entry());  // evicts 1
    EXPECT_EQ(open.find(h(1)), nullptr);
    EXPECT_NE(::fcntl(first.fd->get(), F_GETFD), -1) << "closed while still held";
}

TEST(OpenBlobs, ShedLetsTheOlderHalfGo) {
    OpenBlobs open(10);
    for (unsigned char n = 1; n <= 5; ++n) {
        open.insert(h(n), entry());
    }
    EXPECT_EQ(open.shed(), 3u);
    EXPECT_EQ(open.size(), 2u);
    EXPECT_NE(open.find(h(5)), nullptr);
    EXPECT_NE(open.find(h(4)), nullptr);
    EXPECT_EQ(open.find(h(1)), nullptr);
    EXPECT_EQ(open.shed(), 1u);  // 2 -> 1
    EXPECT_EQ(open.shed(), 1u);  // 1 -> 0
    EXPECT_EQ(open.shed(), 0u);
}

TEST(OpenBlobs, CapacityZeroKeepsNothing) {
    OpenBlobs open(0);
    open.insert(h(1), entry());
    EXPECT_EQ(open.size(), 0u);
    EXPECT_EQ(open.find(h(1)), nullptr);
}

}  // namespace
}  // namespace p2pls::decade_server
