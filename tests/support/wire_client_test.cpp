#include "tests/support/wire_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "common/core/peer_codec.hpp"
#include "common/posix/fd.hpp"

namespace p2pls::testing {
namespace {

using namespace std::chrono_literals;
using posix::Fd;

// A listening socket on 127.0.0.1 and the one connection accepted from it: the other
// end of the WireClient under test.
class WireClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ASSERT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ASSERT_EQ(::listen(listener_.get(), 4), 0);
        ASSERT_EQ(::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
        port_ = ntohs(addr.sin_port);
    }

    // The server side of the client's connection (the kernel completed it already).
    Fd accept_one() { return Fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)); }

    static void write_all(const Fd& fd, const std::string& bytes) {
        ASSERT_EQ(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(bytes.size()));
    }

    static std::string read_some(const Fd& fd, std::size_t n) {
        std::string out(n, '\0');
        std::size_t got = 0;
        while (got < n) {
            const auto r = ::recv(fd.get(), out.data() + got, n - got, 0);
            if (r <= 0) {
                break;
            }
            got += static_cast<std::size_t>(r);
        }
        out.resize(got);
        return out;
    }

    static wire::PeerMessage have(std::uint64_t seq) {
        wire::PeerMessage m;
        m.mutable_have()->add_seqs(seq);
        return m;
    }

    Fd listener_;
    std::uint16_t port_ = 0;
};

TEST_F(WireClientTest, SendsFramedMessagesAndRawBytes) {
    WireClient client(port_);
    ASSERT_TRUE(client.connected());
    const Fd server = accept_one();
    ASSERT_TRUE(server.ok());
    client.send(have(7));
    const std::string frame = encode_peer_frame(have(7));
    EXPECT_EQ(read_some(server, frame.size()), frame);
    client.send_bytes("raw");
    EXPECT_EQ(read_some(server, 3), "raw");
    client.shutdown_write();
    char c = 0;
    EXPECT_EQ(::recv(server.get(), &c, 1, 0), 0);  // end of stream
}

TEST_F(WireClientTest, ReadsFramesInOrderAcrossSplitWrites) {
    WireClient client(port_);
    const Fd server = accept_one();
    const std::string both = encode_peer_frame(have(1)) + encode_peer_frame(have(2));
    write_all(server, both.substr(0, 3));  // not even a whole length prefix
    EXPECT_FALSE(client.next(50ms).has_value());
    write_all(server, both.substr(3));
    const auto first = client.next(2s);
    const auto second = client.next(2s);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->have().seqs(0), 1U);
    EXPECT_EQ(second->have().seqs(0), 2U);
}

TEST_F(WireClientTest, BadFramingAndCloseEndTheStream) {
    WireClient client(port_);
    const Fd server = accept_one();
    write_all(server, std::string(4, '\0'));  // a zero-length frame loses framing
    EXPECT_FALSE(client.next(2s).has_value());

    WireClient other(port_);
    Fd server2 = accept_one();
    EXPECT_FALSE(other.closed_within(100ms));
    server2.reset();
    EXPECT_TRUE(other.closed_within(2s));
}

TEST_F(WireClientTest, HangUpIsSeenWithoutReading) {
    WireClient client(port_);
    Fd server = accept_one();
    write_all(server, "unread");
    EXPECT_FALSE(client.hung_up_within(50ms));
    server.reset();
    EXPECT_TRUE(client.hung_up_within(2s));
}

TEST_F(WireClientTest, NothingListeningIsNotConnected) {
    listener_.reset();  // the port is free again
    const WireClient client(port_);
    EXPECT_FALSE(client.connected());
}

}  // namespace
}  // namespace p2pls::testing
