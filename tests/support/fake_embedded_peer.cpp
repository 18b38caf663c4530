#include "tests/support/fake_embedded_peer.hpp"

#include <boost/asio/post.hpp>

namespace p2pls::testing {

namespace asio = boost::asio;

FakeEmbeddedPeer::FakeEmbeddedPeer(asio::io_context& io, p2pls::net::PeerNodeConfig config,
                                   Payloads payloads, std::chrono::milliseconds interval)
    : io_(io),
      config_(std::move(config)),
      payloads_(std::move(payloads)),
      interval_(interval),
      timer_(io) {}

FakeEmbeddedPeer::~FakeEmbeddedPeer() {
    *alive_ = false;
    timer_.cancel();
}

Result<void> FakeEmbeddedPeer::start() {
    if (config_.listen == "fail:0") {
        return make_error_code(Errc::io_error);
    }
    play_next();
    return {};
}

void FakeEmbeddedPeer::play_next() {
    if (stopped_ || played_ >= payloads_.size()) {
        return;  // each payload once: a fixture's timestamps do not loop
    }
    const auto& payload = *payloads_[played_];
    wire::Chunk chunk;
    chunk.set_seq(100 + played_);
    chunk.set_payload(payload);
    ++played_;
    bytes_ += payload.size();
    if (config_.on_play) {
        config_.on_play(chunk);
    }
    if (config_.on_report) {
        config_.on_report(make_report(false));
    }
    timer_.expires_after(interval_);
    timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
        if (*alive && !ec) {
            play_next();
        }
    });
}

report::QoeReport FakeEmbeddedPeer::make_report(bool final) const {
    report::QoeReport r;
    r.set_peer_id("fake");
    r.set_final(final);
    r.set_elapsed_s(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    r.set_chunks_due(played_);
    r.set_download_media_bytes(bytes_);
    // DECADE mode: everything from storage, nothing sent on the peer's own sockets.
    if (config_.engine.decade.enabled) {
        r.set_bytes_from_decade(bytes_);
    } else {
        r.set_bytes_from_peers(bytes_);
    }
    r.set_neighbors(1);
    return r;
}

void FakeEmbeddedPeer::stop(std::function<void()> done) {
    stopped_ = true;
    timer_.cancel();
    if (config_.on_report) {
        config_.on_report(make_report(true));
    }
    asio::post(io_, [done = std::move(done)] {
        if (done) {
            done();
        }
    });
}

report::QoeReport FakeEmbeddedPeer::report() const {
    return make_report(false);
}

p2pls::net::PeerNode::PlaybackView FakeEmbeddedPeer::playback_view() const {
    p2pls::net::PeerNode::PlaybackView view;
    view.started = played_ > 0;
    view.playhead = 100 + played_;
    view.buffer_s = 2.0;  // a fixed, recognisable figure for the status tests
    view.live_edge = 100 + played_ + 3;
    return view;
}

std::string FakeEmbeddedPeer::stats_json() const {
    return R"({"fake":true})";
}

player::net::PeerFactory FakeEmbeddedPeer::factory(Payloads payloads) {
    return
        [payloads = std::move(payloads)](asio::io_context& io, p2pls::net::PeerNodeConfig config) {
            return std::make_unique<FakeEmbeddedPeer>(io, std::move(config), payloads);
        };
}

}  // namespace p2pls::testing
