#include "common/net/stop_signals.hpp"

#include <csignal>
#include <cstdlib>

namespace p2pls::net {

StopSignals::StopSignals(boost::asio::io_context& io, std::function<void(int)> on_stop)
    : signals_(io, SIGINT, SIGTERM), on_stop_(std::move(on_stop)) {
    arm();
}

void StopSignals::arm() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;  // cancelled: the io_context is shutting down
        }
        if (stopping_) {
            std::_Exit(128 + signal);
        }
        stopping_ = true;
        arm();
        on_stop_(signal);
    });
}

}  // namespace p2pls::net
