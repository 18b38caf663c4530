#include "common/net/framed_socket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/core/peer_codec.hpp"
#include "common/posix/traffic_capture.hpp"

namespace p2pls::net {

namespace asio = boost::asio;

FramedSocket::FramedSocket(asio::ip::tcp::socket socket, const FrameLimits& limits)
    : socket_(std::move(socket)), decoder_(limits) {}

asio::awaitable<Result<wire::PeerMessage>> FramedSocket::read() {
    for (;;) {
        auto frame = decoder_.next();
        if (!frame) {
            co_return frame.error();
        }
        if (frame->has_value()) {
            posix::capture_received("peer-frame", **frame);
            auto message = parse_peer_message(**frame);
            if (message && is_media(*message)) {
                counters_.media_bytes_in += kFrameHeaderBytes + (*frame)->size();
            }
            co_return message;
        }
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(read_buffer_),
                                                        asio::as_tuple(asio::use_awaitable));
        if (ec) {
            co_return ec;
        }
        counters_.bytes_in += n;
        decoder_.feed(std::string_view(read_buffer_.data(), n));
    }
}

asio::awaitable<boost::system::error_code> FramedSocket::write(const wire::PeerMessage& message) {
    const std::string frame = encode_peer_frame(message);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(frame),
                                              asio::as_tuple(asio::use_awaitable));
    counters_.bytes_out += n;
    if (is_media(message)) {
        counters_.media_bytes_out += n;
    }
    co_return ec;
}

void FramedSocket::close() noexcept {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace p2pls::net
