// A stand-in for the player's embedded peer (player/net/embedded_peer.hpp), so that the
// player's orchestration is tested in-process without a swarm: start() plays the given
// chunk payloads through the configuration's on_play, one every `interval`, as seqs 100,
// 101, ...; report() counts them; stop() sends the final report. A listen address of
// "fail:0" makes start() fail as a taken port would.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "player/net/embedded_peer.hpp"

namespace p2pls::testing {

class FakeEmbeddedPeer final : public player::net::EmbeddedPeer {
  public:
    using Payloads = std::vector<std::shared_ptr<const std::string>>;

    FakeEmbeddedPeer(boost::asio::io_context& io, p2pls::net::PeerNodeConfig config,
                     Payloads payloads,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(500));
    ~FakeEmbeddedPeer() override;

    Result<void> start() override;
    void stop(std::function<void()> done) override;
    [[nodiscard]] report::QoeReport report() const override;
    [[nodiscard]] p2pls::net::PeerNode::PlaybackView playback_view() const override;
    [[nodiscard]] std::string stats_json() const override;

    // A factory for PlayerNodeConfig::make_peer that plays `payloads`.
    static player::net::PeerFactory factory(Payloads payloads);

  private:
    void play_next();
    [[nodiscard]] report::QoeReport make_report(bool final) const;

    boost::asio::io_context& io_;
    p2pls::net::PeerNodeConfig config_;
    Payloads payloads_;
    std::chrono::milliseconds interval_;
    boost::asio::steady_timer timer_;
    std::uint64_t played_ = 0;
    std::uint64_t bytes_ = 0;
    bool stopped_ = false;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2pls::testing
