#include "source/net/channel_announcer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace p2pls::source::net {

ChannelAnnouncer::ChannelAnnouncer(boost::asio::io_context& io, AnnouncerConfig config)
    : io_(io), config_(std::move(config)), client_(io, config_.tracker_url, config_.channel) {}

void ChannelAnnouncer::start() {
    tracker_api::AnnounceRequest me;
    me.set_peer_id(config_.peer_id);
    me.set_endpoint(config_.endpoint);
    me.set_mode(wire::native);
    me.set_is_source(true);
    me.set_bitrate_bps(config_.bitrate_bps);
    me.set_chunk_ms(config_.chunk_ms);
    me.set_public_key(std::string(reinterpret_cast<const char*>(config_.public_key.data()),
                                  config_.public_key.size()));
    client_.start(
        std::move(me),
        [this](const tracker_api::AnnounceResponse& reply) {
            if (!reachable_ || !first_ok_) {
                spdlog::info("announced channel '{}' to {} ({} members, interval {} s)",
                             config_.channel, config_.tracker_url, reply.channel().members(),
                             reply.interval_s());
            }
            reachable_ = true;
            first_ok_ = true;
        },
        [this](const std::string& what, int status) {
            if (reachable_) {
                spdlog::warn("{}{} (still producing; retrying)", what,
                             status != 0 ? " (HTTP " + std::to_string(status) + ")" : "");
            }
            reachable_ = false;
        });
}

void ChannelAnnouncer::on_live_edge(std::uint64_t seq) {
    client_.update([seq](tracker_api::AnnounceRequest& me) { me.set_live_edge(seq); });
}

void ChannelAnnouncer::stop(std::function<void()> done) {
    boost::asio::co_spawn(
        io_,
        [this, done = std::move(done)]() -> boost::asio::awaitable<void> {
            co_await client_.stop();
            if (done) {
                done();
            }
        },
        boost::asio::detached);
}

}  // namespace p2pls::source::net
