#include "peer/net/neighbor_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace p2pls::net {

namespace asio = boost::asio;

namespace {

Errc to_errc(const boost::system::error_code& ec) {
    if (ec.category() == p2pls_category()) {
        return static_cast<Errc>(ec.value());
    }
    return Errc::io_error;
}

// Approximate wire size, enough to bound the queue.
std::size_t item_bytes(const NeighborSession::Item& item) {
    if (const auto* chunk = std::get_if<std::shared_ptr<const wire::Chunk>>(&item)) {
        return (*chunk)->payload().size() + 64;
    }
    return std::get<wire::PeerMessage>(item).ByteSizeLong() + 4;
}

}  // namespace

NeighborSession::NeighborSession(NeighborId id, asio::ip::tcp::socket socket,
                                 std::chrono::milliseconds send_delay)
    : id_(id),
      framed_(std::move(socket)),
      send_delay_(send_delay),
      wake_(framed_.socket().get_executor()) {
    wake_.expires_at(asio::steady_timer::time_point::max());
}

void NeighborSession::start(std::shared_ptr<NeighborEvents> events) {
    const auto executor = framed_.socket().get_executor();
    asio::co_spawn(executor, reader(events), asio::detached);
    asio::co_spawn(executor, writer(std::move(events)), asio::detached);
}

bool NeighborSession::push(Item item, std::chrono::steady_clock::time_point now,
                           std::size_t max_queued_bytes) {
    queued_bytes_ += item_bytes(item);
    if (queued_bytes_ > max_queued_bytes && !closing_) {
        return false;
    }
    queue_.push_back(Queued{std::move(item), now + send_delay_});
    wake_.cancel();
    return true;
}

void NeighborSession::close_after_flush() {
    closing_ = true;
    wake_.cancel();
}

void NeighborSession::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    framed_.close();
    wake_.cancel();
}

void NeighborSession::abort_io() {
    framed_.close();
    wake_.cancel();
}

asio::awaitable<void> NeighborSession::reader(std::shared_ptr<NeighborEvents> events) {
    auto self = shared_from_this();
    for (;;) {
        auto message = co_await framed_.read();
        if (closed_ || closing_) {
            co_return;
        }
        if (!message) {
            const auto& ec = message.error();
            if (ec.category() == p2pls_category()) {
                spdlog::info("neighbour {}: closed: {}", id_.value(), ec.message());
            } else {
                spdlog::debug("neighbour {}: connection ended: {}", id_.value(), ec.message());
            }
            events->on_session_lost(id_, to_errc(ec));
            events->on_session_ended(self);
            co_return;
        }
        events->on_session_message(id_, std::move(*message));
    }
}

asio::awaitable<void> NeighborSession::writer(std::shared_ptr<NeighborEvents> events) {
    auto self = shared_from_this();
    while (!closed_) {
        if (queue_.empty()) {
            if (closing_) {
                break;
            }
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        // User-space link delay: hold the head until its due time.
        if (!events->flush_now() && queue_.front().due > std::chrono::steady_clock::now()) {
            wake_.expires_at(queue_.front().due);
            co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        Item item = std::move(queue_.front().item);
        queue_.pop_front();
        queued_bytes_ -= std::min(queued_bytes_, item_bytes(item));
        boost::system::error_code ec;
        if (auto* chunk = std::get_if<std::shared_ptr<const wire::Chunk>>(&item)) {
            wire::PeerMessage m;
            *m.mutable_chunk() = **chunk;
            ec = co_await framed_.write(m);
        } else {
            ec = co_await framed_.write(std::get<wire::PeerMessage>(item));
        }
        if (ec) {
            if (!closing_) {
                events->on_session_lost(id_, Errc::io_error);
            }
            break;
        }
    }
    events->on_session_ended(self);
}

}  // namespace p2pls::net
