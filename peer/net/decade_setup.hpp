// Getting a DECADE peer its storage before its engine can run: the home server (given, or
// named by the tracker), a locker registered there, and the fallback to native play when
// neither comes. The HTTP calls themselves are DecadeDriver's.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "p2pls/tracker.pb.h"
#include "peer/net/decade_driver.hpp"
#include "peer/net/peer_node.hpp"

namespace p2pls::net {

// What the setup needs from the node. Called on the node's io_context thread.
class DecadeSetupEvents {
  public:
    virtual ~DecadeSetupEvents() = default;
    // True once the node stops: a registration that completes then changes nothing.
    [[nodiscard]] virtual bool setup_cancelled() const = 0;
    // True once the engine runs: its mode is fixed, so a late retry is pointless.
    [[nodiscard]] virtual bool engine_running() const = 0;
    // The locker is now known: the node can create its engine.
    virtual void on_decade_ready() = 0;
    // There is no storage to wait for: the node plays natively (or gives up), saying `why`.
    virtual void on_decade_unavailable(const std::string& why) = 0;
};

class DecadeSetup {
  public:
    // `config` is the node's: the setup writes the home server, locker and secret into
    // config.engine.decade once it knows them. It must outlive the setup.
    DecadeSetup(boost::asio::io_context& io, PeerNodeConfig& config);

    // Home server and locker are both known.
    [[nodiscard]] bool ready() const;
    // Creates the driver, and starts a locker registration once a home server is known
    // (none while one is under way). `events` is kept alive until the registration ends.
    void prepare(std::shared_ptr<DecadeSetupEvents> events);

    // A tracker reply before the engine runs: a DECADE peer with no home server takes the
    // one the reply names, if any.
    void adopt_home_server(const tracker_api::AnnounceResponse& reply);
    // Keeps a reply that came before the engine could exist, for the engine. Returns why
    // to play natively when too many replies name no home server, empty otherwise.
    [[nodiscard]] std::string hold_reply(const tracker_api::AnnounceResponse& reply);
    // The held reply, once (for the engine just created).
    std::optional<tracker_api::AnnounceResponse> take_pending_reply();

    // The driver once prepare() ran, else null.
    [[nodiscard]] DecadeDriver* driver() noexcept { return driver_.get(); }

  private:
    boost::asio::awaitable<void> register_locker(std::shared_ptr<DecadeSetupEvents> events);

    boost::asio::io_context& io_;
    PeerNodeConfig& config_;
    std::unique_ptr<DecadeDriver> driver_;
    bool preparing_ = false;
    int failures_ = 0;  // failed registrations, or replies naming no server
    std::optional<tracker_api::AnnounceResponse> pending_reply_;
};

}  // namespace p2pls::net
