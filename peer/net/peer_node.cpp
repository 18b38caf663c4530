#include "peer/net/peer_node.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <variant>

#include "common/core/overloaded.hpp"
#include "common/core/proto_json.hpp"
#include "common/net/endpoint.hpp"
#include "peer/core/channel_trust.hpp"
#include "peer/core/peer_engine.hpp"
#include "peer/core/peer_metrics.hpp"
#include "peer/core/tracker_reply.hpp"
#include "peer/net/decade_driver.hpp"
#include "peer/net/decade_setup.hpp"
#include "peer/net/neighbor_session.hpp"
#include "tracker/curl/tracker_client.hpp"

namespace p2pls::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

TimePoint clock_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::string random_peer_id() {
    std::random_device rd;
    std::ostringstream os;
    os << "peer-" << std::hex << rd() << rd();
    return os.str();
}

}  // namespace

struct PeerNode::Impl : NeighborEvents,
                        DecadeSetupEvents,
                        std::enable_shared_from_this<PeerNode::Impl> {
    Impl(asio::io_context& io_in, PeerNodeConfig config_in)
        : io(io_in),
          config(std::move(config_in)),
          acceptor(io_in),
          timer(io_in),
          ticker(io_in),
          decade(io_in, config),
          trust(config.engine.channel, config.pinned_key) {}

    asio::io_context& io;
    PeerNodeConfig config;
    tcp::acceptor acceptor;
    asio::steady_timer timer;   // re-armed from engine->next_timer()
    asio::steady_timer ticker;  // once a second: the report
    std::unique_ptr<peer::PeerEngine> engine;
    std::unique_ptr<tracker::TrackerClient> tracker;
    std::map<NeighborId, std::shared_ptr<NeighborSession>> sessions;
    std::uint32_t next_id = 1;
    TimePoint started_at{};
    std::uint64_t closed_media_bytes_out = 0;
    std::vector<peer::PeerCandidate> bootstrap;
    bool stopping = false;
    // DECADE mode: the home server, the locker and the fallback to native play.
    DecadeSetup decade;
    std::string decade_unavailable;  // why a DECADE peer plays natively; empty while it need not
    peer::ChannelTrust trust;        // the key and source run this session accepts

    // --- engine plumbing ---------------------------------------------------------------

    void create_engine(TimePoint now) {
        if (config.engine.decade.enabled && !decade.ready()) {
            decade.prepare(
                shared_from_this());  // creates the engine once home server and locker are known
            return;
        }
        if (config.engine.decade.enabled) {
            const auto unix_s = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
            const auto steady_s =
                std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
            config.engine.decade.unix_offset_s = unix_s - steady_s;
        }
        // Our Hello nonces must be unpredictable: a source signs them to prove its key.
        if (sodium_init() < 0) {
            throw std::runtime_error("libsodium has no usable random source");
        }
        randombytes_buf(config.engine.nonce_key.data(), config.engine.nonce_key.size());
        engine =
            std::make_unique<peer::PeerEngine>(config.engine, std::random_device{}(), started_at);
        if (!bootstrap.empty()) {
            engine->on_peer_list(bootstrap, std::nullopt, now);
        }
        pump();
    }

    void pump() {
        if (!engine) {
            return;
        }
        for (peer::Action& action : engine->take_actions()) {
            perform(action);
        }
        arm_timer();
    }

    void perform(peer::Action& action) {
        std::visit(
            Overloaded{
                [&](peer::SendMessage& m) { enqueue(m.to, std::move(m.message)); },
                [&](peer::SendChunk& c) { enqueue(c.to, std::move(c.chunk)); },
                [&](peer::Connect& k) { asio::co_spawn(io, connect(k.endpoint), asio::detached); },
                [&](peer::Disconnect& d) {
                    if (d.reason == Errc::ok || d.reason == Errc::busy) {
                        spdlog::debug("neighbour {}: closing ({})", d.who.value(), d.detail);
                    } else {
                        spdlog::info("neighbour {}: closed: {} ({})", d.who.value(), d.detail,
                                     make_error_code(d.reason).message());
                    }
                    if (auto it = sessions.find(d.who); it != sessions.end()) {
                        it->second->close_after_flush();
                    }
                },
                [&](peer::PlayChunk& p) {
                    if (config.on_play) {
                        config.on_play(*p.chunk);
                    }
                },
                [&](peer::WantPeers&) {
                    if (tracker) {
                        tracker->announce_now();
                    }
                },
                [&](peer::DecadeFetch& f) {
                    asio::co_spawn(io, decade_fetch(std::move(f)), asio::detached);
                },
                [&](peer::DecadePut& u) {
                    asio::co_spawn(io, decade_put(std::move(u)), asio::detached);
                },
            },
            action);
    }

    // --- DecadeSetupEvents ---------------------------------------------------------------

    [[nodiscard]] bool setup_cancelled() const override { return stopping; }
    [[nodiscard]] bool engine_running() const override { return engine != nullptr; }
    void on_decade_ready() override { start_with_pending_reply(); }
    void on_decade_unavailable(const std::string& why) override { play_natively(why); }

    // Creates the engine and hands it the tracker reply that came before it could exist.
    void start_with_pending_reply() {
        create_engine(clock_now());
        if (engine) {
            if (auto reply = decade.take_pending_reply()) {
                on_tracker_reply(*reply);
            }
        }
    }

    // A DECADE peer that cannot get storage still plays: natively, for this session (the
    // engine's mode is fixed once it runs), and says so to the tracker and the log.
    // With require_decade it gives up instead: a viewer who asked for storage only would
    // rather stop than upload media.
    void play_natively(const std::string& why) {
        decade_unavailable = why;
        if (config.on_decade_unavailable) {
            config.on_decade_unavailable(why);
        }
        if (config.require_decade) {
            spdlog::error("{}: giving up (DECADE storage is required)", why);
            return;
        }
        spdlog::warn("{}: playing natively instead", why);
        config.engine.decade.enabled = false;
        if (tracker) {
            tracker->update([](tracker_api::AnnounceRequest& r) {
                r.set_mode(wire::native);
                r.clear_decade_server();
            });
        }
        start_with_pending_reply();
    }

    asio::awaitable<void> decade_fetch(peer::DecadeFetch f) {
        auto self = shared_from_this();
        const std::uint64_t id = f.id;
        const std::string home = config.engine.decade.server;
        peer::DecadeResult r = co_await decade.driver()->fetch(home, std::move(f));
        if (!engine || stopping) {
            co_return;
        }
        engine->on_decade_fetched(id, std::move(r), clock_now());
        pump();
    }

    asio::awaitable<void> decade_put(peer::DecadePut p) {
        auto self = shared_from_this();
        const std::uint64_t id = p.id;
        const std::string home = config.engine.decade.server;
        const std::string locker = config.engine.decade.locker;
        peer::DecadeResult r = co_await decade.driver()->put(home, locker, std::move(p));
        if (!engine || stopping) {
            co_return;
        }
        engine->on_decade_put(id, std::move(r), clock_now());
        pump();
    }

    void enqueue(NeighborId to, NeighborSession::Item item) {
        const auto it = sessions.find(to);
        if (it == sessions.end() || it->second->closed()) {
            return;
        }
        const std::shared_ptr<NeighborSession> s = it->second;
        if (!s->push(std::move(item), std::chrono::steady_clock::now(), config.max_queued_bytes)) {
            spdlog::info("neighbour {}: closed: not reading (over {} bytes queued)",
                         s->id().value(), config.max_queued_bytes);
            if (engine) {
                asio::post(io, [self = shared_from_this(), id = s->id()] {
                    if (self->engine) {
                        self->engine->on_neighbor_lost(id, Errc::timeout, clock_now());
                        self->pump();
                    }
                });
            }
            close(s);
        }
    }

    void arm_timer() {
        if (!engine || stopping) {
            return;
        }
        const auto at = engine->next_timer();
        timer.expires_at(asio::steady_timer::time_point(
            std::chrono::duration_cast<asio::steady_timer::duration>(at.time_since_epoch())));
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || !self->engine || self->stopping) {
                return;
            }
            self->engine->on_timer(clock_now());
            self->pump();
        });
    }

    // --- connections -------------------------------------------------------------------

    std::shared_ptr<NeighborSession> add_session(tcp::socket socket) {
        const NeighborId id{next_id++};
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        const auto remote = socket.remote_endpoint(ignored);
        const auto delay =
            config.link_delays.to_host(ignored ? std::string() : remote.address().to_string());
        auto s = std::make_shared<NeighborSession>(id, std::move(socket), delay);
        sessions.emplace(id, s);
        s->start(shared_from_this());
        return s;
    }

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (acceptor.is_open()) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
                    co_return;
                }
                // Out of descriptors (EMFILE) or memory: the pending connection stays in
                // the backlog, so accepting again at once would spin. Let sessions end.
                asio::steady_timer pause(io, std::chrono::milliseconds(100));
                co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            if (!engine || stopping) {
                continue;  // not ready (no channel key yet) or leaving: the socket closes
            }
            // The address the packets come from: what a ban of this neighbour names.
            boost::system::error_code remote_ec;
            const auto remote = socket.remote_endpoint(remote_ec);
            std::string seen;
            if (!remote_ec) {
                const std::string host = remote.address().to_string();
                seen = (remote.address().is_v6() ? "[" + host + "]" : host) + ":" +
                       std::to_string(remote.port());
            }
            auto s = add_session(std::move(socket));
            engine->on_neighbor_connected(s->id(), seen, false, clock_now());
            pump();
        }
    }

    // A peer that listens on one address dials from it too, so that its neighbours see the
    // address it announced (the testbed's per-region loopback blocks rest on that). Not
    // between loopback and other addresses: a loopback source cannot reach another host.
    void bind_to_listen_address(tcp::socket& socket, const tcp::endpoint& target) {
        boost::system::error_code ec;
        const auto local = acceptor.local_endpoint(ec);
        if (ec || local.address().is_unspecified() ||
            local.address().is_v4() != target.address().is_v4() ||
            local.address().is_loopback() != target.address().is_loopback()) {
            return;
        }
        socket.open(target.protocol(), ec);
        if (!ec) {
            socket.bind(tcp::endpoint(local.address(), 0), ec);
        }
        if (ec) {
            spdlog::debug("dialing from {} failed ({}): the system picks the source address",
                          local.address().to_string(), ec.message());
        }
    }

    asio::awaitable<void> connect(std::string endpoint) {
        auto self = shared_from_this();
        // Numeric addresses only: the tracker lists what peers bound.
        std::string why;
        const auto target = parse_tcp_endpoint(endpoint, {}, why);
        if (!target) {
            spdlog::warn("cannot connect to '{}': not a numeric host:port ({})", endpoint, why);
            if (engine) {
                engine->on_connect_failed(endpoint, clock_now());
                pump();
            }
            co_return;
        }
        tcp::socket socket(io);
        bind_to_listen_address(socket, *target);
        asio::steady_timer deadline(io);
        deadline.expires_after(std::chrono::seconds(5));
        deadline.async_wait([&socket](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                socket.close(ignored);
            }
        });
        auto [ec] = co_await socket.async_connect(*target, asio::as_tuple(asio::use_awaitable));
        deadline.cancel();
        if (!engine || stopping) {
            co_return;
        }
        if (ec || !socket.is_open()) {
            spdlog::debug("connect to {} failed: {}", endpoint, ec.message());
            engine->on_connect_failed(endpoint, clock_now());
            pump();
            co_return;
        }
        auto s = add_session(std::move(socket));
        engine->on_neighbor_connected(s->id(), endpoint, true, clock_now());
        pump();
    }

    // --- NeighborEvents ----------------------------------------------------------------

    void on_session_message(NeighborId id, wire::PeerMessage message) override {
        if (!engine) {
            return;
        }
        if (message.has_chunk()) {
            auto chunk = std::make_shared<const wire::Chunk>(std::move(*message.mutable_chunk()));
            engine->on_chunk_message(id, std::move(chunk), clock_now());
        } else {
            engine->on_message(id, message, clock_now());
        }
        pump();
    }

    void on_session_lost(NeighborId id, Errc reason) override {
        if (engine) {
            engine->on_neighbor_lost(id, reason, clock_now());
        }
    }

    void on_session_ended(const std::shared_ptr<NeighborSession>& s) override {
        close(s);
        pump();
    }

    [[nodiscard]] bool flush_now() const override { return stopping; }

    void close(const std::shared_ptr<NeighborSession>& s) {
        if (s->closed()) {
            return;
        }
        closed_media_bytes_out += s->media_bytes_out();
        s->close();
        sessions.erase(s->id());
    }

    // --- tracker -------------------------------------------------------------------------

    void start_tracker() {
        tracker::TrackerClientOptions options;
        options.before_announce = config.sign_announce;
        options.ca_file = config.ca_file;
        tracker = std::make_unique<tracker::TrackerClient>(io, config.tracker_url,
                                                           config.engine.channel, options);
        tracker_api::AnnounceRequest me;
        me.set_peer_id(config.engine.peer_id.value());
        me.set_endpoint(config.engine.listen_endpoint);
        me.set_mode(config.engine.decade.enabled ? wire::decade : wire::native);
        me.set_decade_server(config.engine.decade.server);
        if (config.engine.origin) {
            me.set_is_source(true);
            me.set_bitrate_bps(config.bitrate_bps);
            me.set_chunk_ms(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(config.engine.chunk_duration)
                    .count()));
            me.set_public_key(
                std::string(config.engine.public_key.begin(), config.engine.public_key.end()));
        }
        std::weak_ptr<Impl> weak = shared_from_this();
        tracker->start(
            me,
            [weak](const tracker_api::AnnounceResponse& reply) {
                if (auto self = weak.lock()) {
                    self->on_tracker_reply(reply);
                }
            },
            [](const std::string& what, int status) {
                spdlog::warn("tracker: {} (status {})", what, status);
            });
    }

    void on_tracker_reply(const tracker_api::AnnounceResponse& reply) {
        if (stopping) {
            return;
        }
        const TimePoint now = clock_now();
        if (!engine) {
            decade.adopt_home_server(reply);
        }
        if (config.key_from_tracker && !config.engine.origin && !accept_channel(reply, now)) {
            return;
        }
        if (!engine) {
            if (config.key_from_tracker && !config.engine.origin) {
                if (reply.channel().chunk_ms() > 0) {
                    config.engine.chunk_duration =
                        std::chrono::milliseconds(reply.channel().chunk_ms());
                }
            }
            create_engine(now);
            if (!engine) {
                // DECADE: the locker is not ready yet.
                if (const std::string why = decade.hold_reply(reply); !why.empty()) {
                    play_natively(why);
                }
                return;
            }
        }
        const peer::TrackerView view = peer::read_tracker_reply(reply, config.engine.origin);
        engine->on_peer_list(view.candidates, view.live_edge, now);
        pump();
    }

    // The channel's key and source run from a tracker reply (peer/core/channel_trust.hpp).
    // False: nothing to start with yet (no key, or a refused one before the engine ran).
    bool accept_channel(const tracker_api::AnnounceResponse& reply, TimePoint now) {
        std::string why;
        const auto verdict = trust.on_channel_info(reply.channel(), why);
        switch (verdict) {
            case peer::ChannelTrust::Verdict::no_key_yet:
                if (!engine) {
                    spdlog::warn("{}; waiting", why);
                }
                return engine != nullptr;
            case peer::ChannelTrust::Verdict::refused_pin:
            case peer::ChannelTrust::Verdict::refused_change:
            case peer::ChannelTrust::Verdict::refused_forgery:
                spdlog::error("channel '{}': refused: {}", config.engine.channel, why);
                return engine != nullptr;  // a running engine keeps its key
            case peer::ChannelTrust::Verdict::accepted:
                config.engine.public_key = *trust.key();
                config.engine.epoch = trust.epoch();
                spdlog::info("channel '{}': key {}..., source epoch {}", config.engine.channel,
                             peer::short_hex(trust.key()->data(), trust.key()->size()),
                             peer::short_hex(trust.epoch().data(), trust.epoch().size()));
                return true;
            case peer::ChannelTrust::Verdict::unchanged:
                return true;
            case peer::ChannelTrust::Verdict::new_epoch:
                resync(now);
                return true;
        }
        return true;
    }

    // The source restarted (a newer signed statement, same key, another epoch): chunks
    // of the old run no longer verify and their seqs may come again, so the engine starts
    // over, with fresh neighbours, at the new run's live edge.
    void resync(TimePoint now) {
        config.engine.epoch = trust.epoch();
        spdlog::warn("channel '{}': the source restarted (epoch {}): rejoining the new run",
                     config.engine.channel,
                     peer::short_hex(trust.epoch().data(), trust.epoch().size()));
        if (!engine) {
            return;
        }
        for (auto& [id, s] : std::map(sessions)) {
            close(s);
        }
        engine.reset();
        create_engine(now);
    }

    // --- reports -------------------------------------------------------------------------

    report::QoeReport make_report(bool final) const {
        report::QoeReport r;
        if (engine) {
            r = engine->report(clock_now(), final);
        } else {
            r.set_peer_id(config.engine.peer_id.value());
            r.set_mode("native");
            r.set_elapsed_s(to_seconds(clock_now() - started_at));
            r.set_final(final);
            r.set_startup_delay_s(-1);
        }
        std::uint64_t media_out = closed_media_bytes_out;
        for (const auto& [id, s] : sessions) {
            media_out += s->media_bytes_out();
        }
        r.set_socket_media_bytes_sent(media_out);
        r.set_decade_unavailable(decade_unavailable);
        return r;
    }

    void hand_out_traces() {
        if (engine && config.on_trace) {
            for (const report::ChunkTrace& t : engine->take_traces()) {
                config.on_trace(t);
            }
        }
    }

    void tick_reports() {
        ticker.expires_after(std::chrono::seconds(1));
        ticker.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->stopping) {
                return;
            }
            if (self->config.on_report) {
                self->config.on_report(self->make_report(false));
            }
            self->hand_out_traces();
            if (self->tracker && self->engine && self->config.engine.origin) {
                if (const auto le = self->engine->live_edge()) {
                    self->tracker->update(
                        [v = le->value()](tracker_api::AnnounceRequest& r) { r.set_live_edge(v); });
                }
            }
            self->tick_reports();
        });
    }
};

PeerNode::PeerNode(asio::io_context& io, PeerNodeConfig config)
    : impl_(std::make_shared<Impl>(io, std::move(config))) {}

PeerNode::~PeerNode() {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->timer.cancel();
    impl_->ticker.cancel();
    for (auto& [id, s] : impl_->sessions) {
        s->abort_io();
    }
}

Result<void> PeerNode::start() {
    Impl& m = *impl_;
    std::string why;
    const auto listen = parse_tcp_endpoint(m.config.listen, {.allow_port_zero = true}, why);
    if (!listen) {
        spdlog::error("--listen '{}' is not a numeric host:port ({})", m.config.listen, why);
        return make_error_code(Errc::config_invalid);
    }
    boost::system::error_code ec;
    m.acceptor.open(listen->protocol(), ec);
    if (!ec) {
        m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        m.acceptor.bind(*listen, ec);
    }
    if (!ec) {
        m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        spdlog::error("cannot listen on {}: {}", m.config.listen, ec.message());
        return make_error_code(Errc::io_error);
    }
    const auto bound = m.acceptor.local_endpoint();
    m.config.engine.listen_endpoint =
        bound.address().to_string() + ":" + std::to_string(bound.port());
    if (m.config.engine.peer_id.value().empty()) {
        m.config.engine.peer_id = PeerId{random_peer_id()};
    }
    for (const auto& ep : m.config.bootstrap) {
        m.bootstrap.push_back({PeerId{}, ep, false});
    }
    m.started_at = clock_now();
    asio::co_spawn(m.io, m.accept_loop(), asio::detached);
    const bool wait_for_key =
        !m.config.engine.origin && m.config.key_from_tracker && !m.config.tracker_url.empty();
    if (!wait_for_key) {
        m.create_engine(m.started_at);
    }
    if (!m.config.tracker_url.empty()) {
        m.start_tracker();
    }
    m.tick_reports();
    spdlog::info("peer {} listening on {} (channel '{}'{})", m.config.engine.peer_id.value(),
                 m.config.engine.listen_endpoint, m.config.engine.channel,
                 m.config.engine.origin ? ", origin" : "");
    return {};
}

std::uint16_t PeerNode::listen_port() const {
    boost::system::error_code ec;
    const auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void PeerNode::publish(wire::Chunk chunk) {
    if (!impl_->engine || impl_->stopping) {
        return;
    }
    if (auto ok = impl_->engine->publish_local_chunk(std::move(chunk), clock_now()); !ok) {
        spdlog::warn("publish: chunk refused: {}", ok.error().message());
    }
    impl_->pump();
}

void PeerNode::stop(std::function<void()> done) {
    auto self = impl_;
    if (self->stopping) {
        if (done) {
            asio::post(self->io, std::move(done));
        }
        return;
    }
    if (self->engine) {
        self->engine->stop(clock_now());
        self->pump();
    }
    self->stopping = true;
    if (auto* driver = self->decade.driver()) {
        driver->cancel_all();  // DECADE calls in flight complete at once
    }
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
    self->timer.cancel();
    self->ticker.cancel();
    asio::co_spawn(
        self->io,
        [self, done = std::move(done)]() -> asio::awaitable<void> {
            if (self->tracker) {
                co_await self->tracker->stop();
            }
            // Give the writers up to 2 s to flush their Byes.
            asio::steady_timer wait(self->io);
            for (int i = 0; i < 20 && !self->sessions.empty(); ++i) {
                wait.expires_after(std::chrono::milliseconds(100));
                co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            for (auto& [id, s] : std::map(self->sessions)) {
                self->close(s);
            }
            if (self->config.on_report) {
                self->config.on_report(self->make_report(true));
            }
            self->hand_out_traces();
            if (done) {
                done();
            }
        },
        asio::detached);
}

report::QoeReport PeerNode::report() const {
    return impl_->make_report(false);
}

PeerNode::PlaybackView PeerNode::playback_view() const {
    PlaybackView view;
    const auto& engine = impl_->engine;
    if (!engine) {
        return view;
    }
    const auto& playback = engine->playback();
    view.started = playback.started();
    if (playback.joined()) {
        const ChunkSeq head = playback.playhead();
        view.playhead = head.value();
        std::uint64_t held = 0;
        while (held < engine->config().window && engine->store().has(head + held)) {
            ++held;
        }
        view.buffer_s = static_cast<double>(held) * to_seconds(engine->config().chunk_duration);
    }
    if (const auto edge = engine->live_edge()) {
        view.live_edge = edge->value();
    }
    return view;
}

std::string PeerNode::stats_json() const {
    return to_json(report());
}

std::string PeerNode::metrics_text() const {
    return peer::render_peer_metrics(report());
}

}  // namespace p2pls::net
