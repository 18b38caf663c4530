#include "peer/net/decade_setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace p2pls::net {

namespace asio = boost::asio;

namespace {

// A DECADE peer gives up on storage and plays natively after this many failed locker
// registrations (2 s apart), or this many tracker replies that name no DECADE server.
constexpr int kDecadeSetupFailuresBeforeNative = 3;

}  // namespace

DecadeSetup::DecadeSetup(asio::io_context& io, PeerNodeConfig& config) : io_(io), config_(config) {}

bool DecadeSetup::ready() const {
    return !config_.engine.decade.server.empty() && !config_.engine.decade.locker.empty();
}

void DecadeSetup::prepare(std::shared_ptr<DecadeSetupEvents> events) {
    if (!driver_) {
        decade::ClientConfig cc;
        cc.slots_per_server = std::max<std::size_t>(config_.engine.decade.slots, 1);
        cc.local_address = config_.decade_local_address;
        cc.ca_file = config_.ca_file;
        cc.link_delays = config_.link_delays;
        cc.client_id = config_.engine.peer_id.value();
        cc.max_ops_per_batch = config_.engine.decade.max_ops_per_batch;
        driver_ = std::make_unique<DecadeDriver>(io_, cc);
    }
    if (preparing_ || config_.engine.decade.server.empty()) {
        return;  // registering already, or waiting for the tracker to name a server
    }
    preparing_ = true;
    asio::co_spawn(io_, register_locker(std::move(events)), asio::detached);
}

void DecadeSetup::adopt_home_server(const tracker_api::AnnounceResponse& reply) {
    if (config_.engine.decade.enabled && config_.engine.decade.server.empty() &&
        !reply.decade_server().url().empty()) {
        config_.engine.decade.server = reply.decade_server().url();
        spdlog::info("DECADE: home server {} (from the tracker)", config_.engine.decade.server);
    }
}

std::string DecadeSetup::hold_reply(const tracker_api::AnnounceResponse& reply) {
    pending_reply_ = reply;
    if (config_.engine.decade.server.empty() && ++failures_ >= kDecadeSetupFailuresBeforeNative) {
        // Nobody names a home server (no --decade-server, and the tracker knows none):
        // there is no storage to wait for.
        return "the tracker named no DECADE server in " + std::to_string(failures_) + " replies";
    }
    return {};
}

std::optional<tracker_api::AnnounceResponse> DecadeSetup::take_pending_reply() {
    auto reply = std::move(pending_reply_);
    pending_reply_.reset();
    return reply;
}

asio::awaitable<void> DecadeSetup::register_locker(std::shared_ptr<DecadeSetupEvents> events) {
    if (config_.engine.decade.locker.empty()) {
        const std::string server = config_.engine.decade.server;
        auto reg = co_await driver_->register_locker(server, config_.decade_operator_key);
        if (events->setup_cancelled()) {
            co_return;
        }
        if (!reg.locker) {
            preparing_ = false;
            if (++failures_ >= kDecadeSetupFailuresBeforeNative) {
                events->on_decade_unavailable("DECADE server " + server +
                                              " refused or did not answer " +
                                              std::to_string(failures_) +
                                              " locker registrations (last: " + reg.refusal + ")");
                co_return;
            }
            spdlog::warn("DECADE server {}: cannot register a locker: {}; retrying", server,
                         reg.refusal);
            // A busy server says when to come back; otherwise a short pause.
            asio::steady_timer wait(
                io_, std::max<std::chrono::seconds>(reg.retry_after, std::chrono::seconds(2)));
            co_await wait.async_wait(asio::use_awaitable);
            if (!events->setup_cancelled() && !events->engine_running()) {
                prepare(events);
            }
            co_return;
        }
        const RegisteredLocker& locker = *reg.locker;
        config_.engine.decade.locker = locker.id;
        config_.engine.decade.secret = locker.secret;
        spdlog::info("DECADE: locker {} on {}", locker.id, server);
    }
    preparing_ = false;
    events->on_decade_ready();
}

}  // namespace p2pls::net
