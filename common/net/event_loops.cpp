#include "common/net/event_loops.hpp"

#include <algorithm>
#include <thread>

namespace p2pls::net {

EventLoops::EventLoops(std::size_t count) {
    for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); ++i) {
        // Concurrency hint 1: each context is run by one thread (others only post to it).
        loops_.push_back(
            contexts_.emplace_back(std::make_unique<boost::asio::io_context>(1)).get());
        busy_.push_back(boost::asio::make_work_guard(*loops_.back()));
    }
}

void EventLoops::run() {
    std::vector<std::jthread> others;  // joined as they go
    for (std::size_t i = 1; i < loops_.size(); ++i) {
        others.emplace_back([loop = loops_[i]] { loop->run(); });
    }
    loops_.front()->run();
}

void EventLoops::stop() {
    for (auto* loop : loops_) {
        loop->stop();
    }
}

}  // namespace p2pls::net
