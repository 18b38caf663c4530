#include "tests/support/wire_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "common/core/peer_codec.hpp"

namespace p2pls::testing {
namespace {

using Clock = std::chrono::steady_clock;

int millis_left(Clock::time_point end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

WireClient::WireClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_.ok() && ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

WireClient::WireClient(posix::Fd connected) : fd_(std::move(connected)), connected_(fd_.ok()) {}

WireListener::WireListener(std::uint16_t port)
    : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const int one = 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd_.ok() || ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_.get(), 16) != 0) {
        fd_.reset();
    }
}

std::optional<WireClient> WireListener::accept(std::chrono::milliseconds timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (!fd_.ok() || ::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
        return std::nullopt;
    }
    posix::Fd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.ok()) {
        return std::nullopt;
    }
    return WireClient(std::move(conn));
}

void WireClient::send(const wire::PeerMessage& message) {
    send_bytes(encode_peer_frame(message));
}

void WireClient::send_bytes(std::string_view bytes) {
    // A peer that has closed makes this fail; the tests see that on the read side.
    (void)::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

void WireClient::shutdown_write() {
    ::shutdown(fd_.get(), SHUT_WR);
}

std::optional<wire::PeerMessage> WireClient::next(std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (true) {
        auto frame = decoder_.next();
        if (!frame) {
            return std::nullopt;
        }
        if (*frame) {
            auto message = parse_peer_message(**frame);
            if (!message) {
                return std::nullopt;
            }
            return std::move(*message);
        }
        const int left = millis_left(end);
        if (left == 0) {
            return std::nullopt;
        }
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, left) <= 0) {
            continue;
        }
        char buf[4096];
        const auto n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n <= 0) {
            return std::nullopt;
        }
        decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
}

bool WireClient::closed_within(std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    char buf[4096];
    while (Clock::now() < end) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            continue;
        }
        if (::recv(fd_.get(), buf, sizeof buf, 0) <= 0) {
            return true;
        }
    }
    return false;
}

bool WireClient::hung_up_within(std::chrono::milliseconds timeout) {
    pollfd p{fd_.get(), POLLRDHUP, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0 &&
           (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace p2pls::testing
