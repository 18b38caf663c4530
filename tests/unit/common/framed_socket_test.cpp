// FramedSocket over a real loopback TCP connection.
#include "common/net/framed_socket.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/core/peer_codec.hpp"

namespace p2pls::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Loopback {
    asio::io_context io;
    tcp::socket client{io};
    tcp::socket server{io};

    Loopback() {
        tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
        client.connect(acceptor.local_endpoint());
        server = acceptor.accept();
    }
};

TEST(FramedSocket, CarriesMessagesAndCountsMediaApart) {
    Loopback link;
    FramedSocket writer(std::move(link.client));
    FramedSocket reader(std::move(link.server));
    std::vector<wire::PeerMessage> got;

    asio::co_spawn(
        link.io,
        [&]() -> asio::awaitable<void> {
            wire::PeerMessage have;
            have.mutable_have()->add_seqs(9);
            wire::PeerMessage chunk;
            chunk.mutable_chunk()->set_seq(9);
            chunk.mutable_chunk()->set_payload(std::string(100'000, 'p'));
            EXPECT_FALSE(co_await writer.write(have));
            EXPECT_FALSE(co_await writer.write(chunk));
        },
        asio::detached);
    asio::co_spawn(
        link.io,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 2; ++i) {
                auto message = co_await reader.read();
                EXPECT_TRUE(message.has_value());
                if (message) {
                    got.push_back(*message);
                }
            }
        },
        asio::detached);
    link.io.run();

    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[0].has_have());
    EXPECT_EQ(got[1].chunk().payload().size(), 100'000u);
    EXPECT_EQ(writer.counters().bytes_out, reader.counters().bytes_in);
    EXPECT_GT(writer.counters().media_bytes_out, 100'000u);
    EXPECT_LT(writer.counters().media_bytes_out, writer.counters().bytes_out);
    EXPECT_EQ(writer.counters().media_bytes_out, reader.counters().media_bytes_in);
}

TEST(FramedSocket, HostileLengthPrefixEndsTheReadWithAnError) {
    Loopback link;
    FramedSocket reader(std::move(link.server), FrameLimits{1024, 1024, std::nullopt});
    Result<wire::PeerMessage> result = make_error_code(Errc::ok);
    asio::co_spawn(
        link.io,
        [&]() -> asio::awaitable<void> {
            // 4 GiB length prefix followed by junk.
            co_await asio::async_write(link.client,
                                       asio::buffer(std::string("\xff\xff\xff\xffjunk", 8)),
                                       asio::use_awaitable);
        },
        asio::detached);
    asio::co_spawn(
        link.io, [&]() -> asio::awaitable<void> { result = co_await reader.read(); },
        asio::detached);
    link.io.run();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), make_error_code(Errc::frame_too_large));
}

TEST(FramedSocket, StreamThatStopsMidFrameReportsEndOfStream) {
    Loopback link;
    FramedSocket reader(std::move(link.server));
    Result<wire::PeerMessage> result = make_error_code(Errc::ok);
    wire::PeerMessage have;
    have.mutable_have()->add_seqs(1);
    const std::string frame = encode_peer_frame(have);
    asio::co_spawn(
        link.io,
        [&]() -> asio::awaitable<void> {
            co_await asio::async_write(link.client, asio::buffer(frame.substr(0, frame.size() - 1)),
                                       asio::use_awaitable);
            link.client.close();
        },
        asio::detached);
    asio::co_spawn(
        link.io, [&]() -> asio::awaitable<void> { result = co_await reader.read(); },
        asio::detached);
    link.io.run();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), asio::error::eof);
}

}  // namespace
}  // namespace p2pls::net
