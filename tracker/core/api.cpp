#include "tracker/core/api.hpp"

#include <google/protobuf/arena.h>

#include "common/core/proto_json.hpp"
#include "tracker/core/fast_json.hpp"

namespace p2pls::tracker {
namespace {

constexpr std::string_view kChannelsPrefix = "/v1/channels/";
constexpr std::string_view kAnnounceSuffix = "/announce";

ApiResponse fail(TrackerState& state, const HttpError& error) {
    state.count_error(error.error);
    // Details may quote the asker's bytes (protobuf's parse errors do): keep printable
    // ASCII only, so that the body is valid UTF-8 JSON whatever was sent, and cap it.
    HttpError printable = error;
    printable.detail = printable_detail(error.detail);
    return ApiResponse{error.status, "application/json", error_json(printable), {}};
}

ApiResponse method_not_allowed(TrackerState& state, std::string_view method, std::string allow) {
    auto r = fail(
        state, HttpError(HttpErrc::method_not_allowed,
                         std::string(method.substr(0, 16)) + " is not allowed here; use " + allow));
    r.allow = std::move(allow);
    return r;
}

template <class T>
ApiResponse reply(TrackerState& state, const Expected<T>& result) {
    if (!result) {
        return fail(state, result.error());
    }
    return ApiResponse{200, "application/json", to_json(*result), {}};
}

// Parses a JSON body into `out`, or says why it cannot: "bad_json" for anything the JSON
// mapping refuses (syntax, unknown field, wrong type), with protobuf's own explanation.
std::optional<HttpError> parse_body(const TrackerState& state, std::string_view body,
                                    google::protobuf::Message& out) {
    if (body.size() > state.config().max_body_bytes) {
        return HttpError(HttpErrc::body_too_large,
                         "request body of " + std::to_string(body.size()) + " bytes exceeds " +
                             std::to_string(state.config().max_body_bytes));
    }
    if (auto why = parse_json(body, out)) {
        return HttpError(HttpErrc::bad_json,
                         "body is not a valid " + out.GetTypeName() + " JSON object: " + *why);
    }
    return std::nullopt;
}

// The hot path: the request lives on an arena whose first block is on the stack, and the
// reply is written straight from the state's own strings (AnnounceView): an announce
// builds no message on the heap.
ApiResponse announce(TrackerState& state, std::string_view channel, const ApiRequest& request,
                     TimePoint now) {
    alignas(16) char block[4 * 1024];
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = sizeof block;
    google::protobuf::Arena arena(options);
    auto* in = google::protobuf::Arena::CreateMessage<tracker_api::AnnounceRequest>(&arena);
    if (request.body.size() > state.config().max_body_bytes ||
        !parse_announce_fast(request.body, *in)) {
        if (auto e = parse_body(state, request.body, *in)) {
            return fail(state, *e);
        }
    }
    AnnounceView view;
    view.peers.reserve(state.config().max_peers);
    if (auto e =
            state.announce_view(channel, *in, now, request.remote_host, view, request.unix_ms)) {
        return fail(state, *e);
    }
    std::string body = announce_reply_json(view);
    if (body.empty()) {
        // A string that needs JSON escaping: rare, so take protobuf's printer. The state
        // already applied the announce; rebuild the reply message from the view.
        body = to_json(TrackerState::to_message(view));
    }
    return ApiResponse{200, "application/json", std::move(body), {}};
}

}  // namespace

ApiResponse handle_request(TrackerState& state, const ApiRequest& request, TimePoint now) {
    std::string_view path = request.target;
    if (const auto q = path.find('?'); q != std::string_view::npos) {
        path = path.substr(0, q);
    }
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";

    if (path == "/metrics") {
        if (!get) {
            return method_not_allowed(state, request.method, "GET");
        }
        return ApiResponse{200, "text/plain; version=0.0.4", state.render_metrics(now), {}};
    }
    if (path == "/v1/channels") {
        if (!get) {
            return method_not_allowed(state, request.method, "GET");
        }
        return ApiResponse{200, "application/json", to_json(state.channels(now)), {}};
    }
    if (path == "/v1/decade-servers") {
        if (!post) {
            return method_not_allowed(state, request.method, "POST");
        }
        tracker_api::DecadeServerInfo server;
        if (auto e = parse_body(state, request.body, server)) {
            return fail(state, *e);
        }
        if (auto e = state.config().server_credentials.check(
                server.url(), request.body, request.proof_timestamp, request.proof, request.unix_ms,
                state.config().max_clock_skew_ms)) {
            return fail(state, *e);
        }
        return reply(state, state.register_decade_server(server, now));
    }
    if (path.starts_with(kChannelsPrefix)) {
        std::string_view rest = path.substr(kChannelsPrefix.size());
        if (rest.ends_with(kAnnounceSuffix)) {
            const std::string_view channel = rest.substr(0, rest.size() - kAnnounceSuffix.size());
            if (!post) {
                return method_not_allowed(state, request.method, "POST");
            }
            return announce(state, channel, request, now);
        }
        if (rest.find('/') == std::string_view::npos) {
            if (!get) {
                return method_not_allowed(state, request.method, "GET");
            }
            return reply(state, state.channel_info(rest, now));
        }
    }
    return fail(state, HttpError(HttpErrc::not_found, "no such resource; see GET /v1/channels"));
}

}  // namespace p2pls::tracker
