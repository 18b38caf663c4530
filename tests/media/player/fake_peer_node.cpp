// A stand-in for peer/net's PeerNode (same header, different definitions) so that the
// player's orchestration (player/net/player_node.cpp) is tested in-process without a
// swarm: start() plays the fixture's chunks through on_play on a timer, report() counts
// them, stop() sends the final report. Linked only into player_node_media_test, which
// compiles player_node.cpp itself and does not link the real peer driver.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "peer/net/peer_node.hpp"
#include "ts_fixture.hpp"

namespace p2pls::net {

namespace asio = boost::asio;

struct PeerNode::Impl {
    Impl(asio::io_context& io_context, PeerNodeConfig c)
        : io(io_context), config(std::move(c)), timer(io_context) {}
    asio::io_context& io;
    PeerNodeConfig config;
    asio::steady_timer timer;
    std::uint64_t played = 0;
    std::uint64_t bytes = 0;
    bool stopped = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    void play_next(std::weak_ptr<Impl> weak) {
        std::string why;
        const auto& chunks = player::test::ts_chunks(6, why);
        if (stopped || chunks.empty()) {
            return;
        }
        const auto& payload = *chunks[played % chunks.size()];
        wire::Chunk chunk;
        chunk.set_seq(100 + played);
        chunk.set_payload(payload);
        ++played;
        bytes += payload.size();
        if (config.on_play) {
            config.on_play(chunk);
        }
        if (config.on_report) {
            config.on_report(make_report(false));
        }
        // Twice real time, and only the first six chunks (the fixture's PTS do not loop).
        if (played < chunks.size()) {
            timer.expires_after(std::chrono::milliseconds(500));
            timer.async_wait([weak](boost::system::error_code ec) {
                if (auto me = weak.lock(); me && !ec) {
                    me->play_next(weak);
                }
            });
        }
    }

    report::QoeReport make_report(bool final) const {
        report::QoeReport r;
        r.set_peer_id("fake");
        r.set_final(final);
        r.set_elapsed_s(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        r.set_chunks_due(played);
        r.set_download_media_bytes(bytes);
        // DECADE mode: everything from storage, nothing sent on the peer's own sockets.
        if (config.engine.decade.enabled) {
            r.set_bytes_from_decade(bytes);
        } else {
            r.set_bytes_from_peers(bytes);
        }
        r.set_neighbors(1);
        return r;
    }
};

PeerNode::PeerNode(asio::io_context& io, PeerNodeConfig config)
    : impl_(std::make_shared<Impl>(io, std::move(config))) {}

PeerNode::~PeerNode() {
    impl_->stopped = true;
    impl_->timer.cancel();
}

Result<void> PeerNode::start() {
    if (impl_->config.listen == "fail:0") {
        return make_error_code(Errc::io_error);
    }
    impl_->play_next(impl_);
    return {};
}

std::uint16_t PeerNode::listen_port() const {
    return 0;
}

void PeerNode::publish(wire::Chunk /*chunk*/) {}

void PeerNode::stop(std::function<void()> done) {
    impl_->stopped = true;
    impl_->timer.cancel();
    if (impl_->config.on_report) {
        impl_->config.on_report(impl_->make_report(true));
    }
    asio::post(impl_->io, [done = std::move(done)] {
        if (done) {
            done();
        }
    });
}

report::QoeReport PeerNode::report() const {
    return impl_->make_report(false);
}

PeerNode::PlaybackView PeerNode::playback_view() const {
    PlaybackView view;
    view.started = impl_->played > 0;
    view.playhead = 100 + impl_->played;
    view.buffer_s = 2.0;  // a fixed, recognisable figure for the status test
    view.live_edge = 100 + impl_->played + 3;
    return view;
}

std::string PeerNode::stats_json() const {
    return R"({"fake":true})";
}

std::string PeerNode::metrics_text() const {
    return {};
}

}  // namespace p2pls::net
