// A server's event loops: one io_context per thread (--threads), the first of them the
// home loop, run by the thread that calls run(). Servers take loops() and spread their
// connections over them (http::HttpServer); whatever has to be in one place (signals,
// timers over shared state) lives on the home loop.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace p2pls::net {

class EventLoops {
  public:
    explicit EventLoops(std::size_t count);

    EventLoops(const EventLoops&) = delete;
    EventLoops& operator=(const EventLoops&) = delete;

    [[nodiscard]] const std::vector<boost::asio::io_context*>& loops() const noexcept {
        return loops_;
    }
    [[nodiscard]] boost::asio::io_context& home() const noexcept { return *loops_.front(); }

    // Runs every loop, the home loop on the calling thread, until all have stopped.
    void run();
    // Stops every loop (from any thread); run() returns once their threads end.
    void stop();

  private:
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<boost::asio::io_context*> loops_;
    // Keeps every loop running while it has nothing to do (the others get their work
    // only when the home loop hands them a connection).
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> busy_;
};

}  // namespace p2pls::net
