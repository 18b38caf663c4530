#include "player/net/embedded_peer.hpp"

namespace p2pls::player::net {
namespace {

class PeerNodePeer final : public EmbeddedPeer {
  public:
    PeerNodePeer(boost::asio::io_context& io, p2pls::net::PeerNodeConfig config)
        : node_(io, std::move(config)) {}

    Result<void> start() override { return node_.start(); }
    void stop(std::function<void()> done) override { node_.stop(std::move(done)); }
    [[nodiscard]] report::QoeReport report() const override { return node_.report(); }
    [[nodiscard]] p2pls::net::PeerNode::PlaybackView playback_view() const override {
        return node_.playback_view();
    }
    [[nodiscard]] std::string stats_json() const override { return node_.stats_json(); }

  private:
    p2pls::net::PeerNode node_;
};

}  // namespace

std::unique_ptr<EmbeddedPeer> make_peer_node(boost::asio::io_context& io,
                                             p2pls::net::PeerNodeConfig config) {
    return std::make_unique<PeerNodePeer>(io, std::move(config));
}

}  // namespace p2pls::player::net
