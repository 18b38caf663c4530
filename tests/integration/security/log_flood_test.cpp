// Log flooding through the message parser. protobuf writes two ERROR lines to stderr for
// every string field that is not UTF-8 in a message it parses, and those bytes come from
// whoever connects. A peer's neighbours (or a DECADE server's clients) could fill its logs
// and its disk at line rate. The attack: 60 connections, each sending a Hello whose
// channel name is not UTF-8. The peer must drop each connection, write none of protobuf's
// lines, and keep answering an honest Hello.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/core/frame_codec.hpp"
#include "common/core/peer_codec.hpp"
#include "p2pls/peer.pb.h"
#include "tests/support/child_process.hpp"
#include "tests/support/wire_client.hpp"

namespace p2pls {
namespace {

using namespace std::chrono_literals;
using testing::bin_path;
using testing::ChildProcess;

// A frame whose Hello carries a channel name that is not UTF-8 (0xff 0xfe): protobuf
// reads up to that field, then refuses the message.
std::string hello_with_non_utf8_channel() {
    wire::Hello hello;
    hello.set_version(kWireVersion);
    hello.set_peer_id("attacker");
    const std::string fields = hello.SerializeAsString() + std::string("\x12\x02\xff\xfe", 4);
    std::string body;
    body.push_back('\x0a');  // PeerMessage field 1 (hello), length-delimited
    body.push_back(static_cast<char>(fields.size()));
    body += fields;
    std::string frame;
    append_frame(frame, body);
    return frame;
}

TEST(LogFlood, NonUtf8StringsFromNeighboursWriteNoLogLines) {
    testing::TempDir tmp{"p2pls-log-flood"};
    testing::ServerProcess tracker(bin_path("p2pls-tracker"), tmp.path() / "tracker.port");
    ASSERT_TRUE(tracker.start()) << tracker.output();
    testing::ServerProcess source(bin_path("p2pls-source"), tmp.path() / "source.port");
    ASSERT_TRUE(source.start({"--tracker", tracker.url(), "--channel", "flood", "--key",
                              (tmp.path() / "channel.key").string(), "--width", "160", "--height",
                              "120", "--bitrate", "100"}))
        << source.output();
    const auto port_file = tmp.path() / "peer.port";
    ChildProcess peer({bin_path("p2pls-peer"), "--tracker", tracker.url(), "--channel", "flood",
                       "--listen", "127.0.0.1:0", "--port-file", port_file.string()});
    const auto port = peer.wait_for_port_file(port_file, 20s);
    ASSERT_TRUE(port) << peer.output();
    // Joined: it knows the channel's key, so it greets neighbours.
    ASSERT_TRUE(peer.wait_for_output("source epoch", 20s)) << peer.output();

    const std::string bad = hello_with_non_utf8_channel();
    for (int i = 0; i < 60; ++i) {
        testing::WireClient attacker(*port);
        ASSERT_TRUE(attacker.connected());
        attacker.send_bytes(bad);
        EXPECT_TRUE(attacker.closed_within(5s)) << "connection " << i << " was not dropped";
    }

    // An honest neighbour is still greeted.
    testing::WireClient honest(*port);
    ASSERT_TRUE(honest.connected());
    wire::PeerMessage hello;
    hello.mutable_hello()->set_version(kWireVersion);
    hello.mutable_hello()->set_channel("flood");
    hello.mutable_hello()->set_peer_id("honest");
    hello.mutable_hello()->set_mode(wire::native);
    honest.send(hello);
    bool greeted = false;
    for (int i = 0; i < 5 && !greeted; ++i) {
        const auto reply = honest.next(3s);
        greeted = reply && reply->has_hello();
    }
    EXPECT_TRUE(greeted) << peer.output();
    EXPECT_TRUE(peer.running());

    const std::string logs = peer.output() + peer.error_output();
    EXPECT_EQ(logs.find("libprotobuf"), std::string::npos) << logs.substr(0, 2000);
    EXPECT_EQ(logs.find("invalid UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace p2pls
