// SIGINT / SIGTERM -> a clean stop: the role leaves the tracker and flushes its reports.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>

namespace p2pls::net {

class StopSignals {
  public:
    // Calls on_stop(signal) on the io_context's thread at the first SIGINT or SIGTERM.
    // A second signal ends the process at once (exit code 128 + signal), for an operator
    // whose clean stop is taking too long.
    StopSignals(boost::asio::io_context& io, std::function<void(int)> on_stop);

  private:
    void arm();

    boost::asio::signal_set signals_;
    std::function<void(int)> on_stop_;
    bool stopping_ = false;
};

}  // namespace p2pls::net
