// What the player needs of its peer: the five calls PlayerNode makes, as an interface, so
// that the player's orchestration can be tested around a stand-in (tests/support's
// FakeEmbeddedPeer) while production runs the real PeerNode (peer/net/peer_node.hpp).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/core/errc.hpp"
#include "p2pls/report.pb.h"
#include "peer/net/peer_node.hpp"

namespace p2pls::player::net {

class EmbeddedPeer {
  public:
    virtual ~EmbeddedPeer() = default;
    // PeerNode::start: bind and start joining; io_error when the listen endpoint is taken.
    virtual Result<void> start() = 0;
    // Clean leave; `done` runs once it has finished.
    virtual void stop(std::function<void()> done) = 0;
    [[nodiscard]] virtual report::QoeReport report() const = 0;
    [[nodiscard]] virtual p2pls::net::PeerNode::PlaybackView playback_view() const = 0;
    // The peer's part of the player's GET /stats (a JSON object).
    [[nodiscard]] virtual std::string stats_json() const = 0;
};

// Makes the peer a player embeds, from the configuration the player built.
using PeerFactory = std::function<std::unique_ptr<EmbeddedPeer>(boost::asio::io_context&,
                                                                p2pls::net::PeerNodeConfig)>;

// The real one: a PeerNode on the player's io_context.
std::unique_ptr<EmbeddedPeer> make_peer_node(boost::asio::io_context& io,
                                             p2pls::net::PeerNodeConfig config);

}  // namespace p2pls::player::net
