// The one HTTP error type of the project: what went wrong as a typed code (HttpErrc), and
// ONE table (kHttpErrors) that maps each code to its HTTP status and to the short
// machine-readable code that travels in an http_api::ErrorBody. The tracker, the DECADE
// server and their clients all use it, so a status and its wire code are written down
// once and cannot disagree between two servers.
//
// Sans-IO: no transport here; adapters turn an HttpError into their own response type.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace p2pls {

// Every error a p2pls HTTP service answers (or a client reports), grouped by who says it.
enum class HttpErrc : std::uint8_t {
    // --- any service ---
    bad_request,            // the request makes no sense (wrong field combination, empty op)
    bad_json,               // the JSON body is not the message it should be
    bad_body,               // the protobuf body is not the message it should be
    body_too_large,         // the request body is above the service's cap
    not_found,              // no such resource / object
    range_not_satisfiable,  // a Range that starts past the end of the object
    no_route,               // no such endpoint (DECADE server)
    method_not_allowed,     // the endpoint exists, not with this method
    // --- tracker ---
    bad_channel,        // channel name invalid
    bad_peer_id,        // peer id invalid
    bad_endpoint,       // host:port invalid
    bad_url,            // a URL field invalid
    bad_event,          // announce event unknown
    bad_mode,           // peer mode unknown
    bad_region,         // region name invalid
    bad_bitrate,        // source's bitrate out of range
    bad_chunk_ms,       // source's chunk duration out of range
    bad_public_key,     // source's key is not an Ed25519 public key
    bad_load,           // a DECADE server's load figure out of range
    source_only_field,  // a field only the source may send
    unknown_channel,    // the channel is not known
    source_conflict,    // the channel's source is someone else
    // A source announce (or its `stopped`) with no signature, one that does not verify
    // under the key it names, or a timestamp outside the clock skew or not newer than the
    // last accepted one: 401, nothing changes.
    announce_unsigned,
    announce_bad_signature,
    announce_stale,
    channel_key_conflict,       // the channel is bound (or pinned) to another key (409)
    registration_unauthorized,  // DECADE server registration without a valid proof (401)
    tracker_full,               // a global cap of the tracker is reached (503)
    channel_full,               // the channel's member cap is reached (503)
    // --- DECADE server ---
    bad_name,                  // object name invalid
    bad_ttl,                   // TTL unparsable or above the server's maximum
    batch_too_large,           // too many ops or remote gets in one batch
    too_large,                 // object above the size cap
    batch_response_too_large,  // the batch's objects exceed the response cap
    operator_key_required,     // POST /v1/lockers without the operator key
    token_malformed,           // the token's text or structure is invalid
    token_bad_mac,             // the MAC does not match the locker's secret
    token_expired,             // past its expiry (plus skew)
    token_not_yet_valid,       // before its not-before (minus skew)
    token_invalid,             // refused for a reason with no code of its own
    token_wrong_locker,        // issued for another locker
    token_wrong_op,            // does not grant this operation
    token_out_of_scope,        // the object is outside its name range
    token_budget_exhausted,    // its byte budget is spent
    token_wrong_grantee,       // bound to another client
    // The remote token of a Remote Get served by linking, refused for the same reasons.
    remote_token_malformed,
    remote_token_bad_mac,
    remote_token_expired,
    remote_token_not_yet_valid,
    remote_token_invalid,
    remote_token_wrong_locker,
    remote_token_wrong_op,
    remote_token_out_of_scope,
    remote_token_budget_exhausted,
    remote_token_wrong_grantee,
    remote_not_allowed,  // remote_server is not a configured peer server
    remote_refused,      // the remote server refused the remote token
    remote_failed,       // the remote server failed (no answer, an odd status, too large)
    remote_busy,         // the remote server answered 503
    locker_exists,       // register: the id is taken
    too_many_lockers,    // register: the locker table is full
    quota_exceeded,      // the locker's byte or object quota would be exceeded
    server_full,         // the server's storage capacity is used up
    store_failed,        // the store could not keep the bytes or the record
    // The store could not read or write now (descriptors exhausted, an I/O error): the
    // object is kept, and the asker retries after Retry-After (503).
    store_unavailable,
    // --- clients (no HTTP status: the answer never came or made no sense) ---
    transport,  // the service was unreachable
    bad_reply,  // the service's answer is not the message it should be
};

struct HttpErrorEntry {
    HttpErrc code;
    unsigned status;        // HTTP status; 0 for errors a client sees with no answer
    std::string_view wire;  // http_api::ErrorBody.error
};

// THE table: one row per HttpErrc, in enum order.
inline constexpr std::array kHttpErrors = {
    HttpErrorEntry{HttpErrc::bad_request, 400, "bad_request"},
    HttpErrorEntry{HttpErrc::bad_json, 400, "bad_json"},
    HttpErrorEntry{HttpErrc::bad_body, 400, "bad_body"},
    HttpErrorEntry{HttpErrc::body_too_large, 413, "body_too_large"},
    HttpErrorEntry{HttpErrc::not_found, 404, "not_found"},
    HttpErrorEntry{HttpErrc::range_not_satisfiable, 416, "range_not_satisfiable"},
    HttpErrorEntry{HttpErrc::no_route, 404, "no_route"},
    HttpErrorEntry{HttpErrc::method_not_allowed, 405, "method_not_allowed"},
    HttpErrorEntry{HttpErrc::bad_channel, 400, "bad_channel"},
    HttpErrorEntry{HttpErrc::bad_peer_id, 400, "bad_peer_id"},
    HttpErrorEntry{HttpErrc::bad_endpoint, 400, "bad_endpoint"},
    HttpErrorEntry{HttpErrc::bad_url, 400, "bad_url"},
    HttpErrorEntry{HttpErrc::bad_event, 400, "bad_event"},
    HttpErrorEntry{HttpErrc::bad_mode, 400, "bad_mode"},
    HttpErrorEntry{HttpErrc::bad_region, 400, "bad_region"},
    HttpErrorEntry{HttpErrc::bad_bitrate, 400, "bad_bitrate"},
    HttpErrorEntry{HttpErrc::bad_chunk_ms, 400, "bad_chunk_ms"},
    HttpErrorEntry{HttpErrc::bad_public_key, 400, "bad_public_key"},
    HttpErrorEntry{HttpErrc::bad_load, 400, "bad_load"},
    HttpErrorEntry{HttpErrc::source_only_field, 400, "source_only_field"},
    HttpErrorEntry{HttpErrc::unknown_channel, 404, "unknown_channel"},
    HttpErrorEntry{HttpErrc::source_conflict, 409, "source_conflict"},
    HttpErrorEntry{HttpErrc::announce_unsigned, 401, "announce_unsigned"},
    HttpErrorEntry{HttpErrc::announce_bad_signature, 401, "announce_bad_signature"},
    HttpErrorEntry{HttpErrc::announce_stale, 401, "announce_stale"},
    HttpErrorEntry{HttpErrc::channel_key_conflict, 409, "channel_key_conflict"},
    HttpErrorEntry{HttpErrc::registration_unauthorized, 401, "registration_unauthorized"},
    HttpErrorEntry{HttpErrc::tracker_full, 503, "tracker_full"},
    HttpErrorEntry{HttpErrc::channel_full, 503, "channel_full"},
    HttpErrorEntry{HttpErrc::bad_name, 400, "bad_name"},
    HttpErrorEntry{HttpErrc::bad_ttl, 400, "bad_ttl"},
    HttpErrorEntry{HttpErrc::batch_too_large, 400, "batch_too_large"},
    HttpErrorEntry{HttpErrc::too_large, 413, "too_large"},
    HttpErrorEntry{HttpErrc::batch_response_too_large, 413, "batch_response_too_large"},
    HttpErrorEntry{HttpErrc::operator_key_required, 401, "operator_key_required"},
    HttpErrorEntry{HttpErrc::token_malformed, 401, "token_malformed"},
    HttpErrorEntry{HttpErrc::token_bad_mac, 401, "token_bad_mac"},
    HttpErrorEntry{HttpErrc::token_expired, 401, "token_expired"},
    HttpErrorEntry{HttpErrc::token_not_yet_valid, 401, "token_not_yet_valid"},
    HttpErrorEntry{HttpErrc::token_invalid, 401, "token_invalid"},
    HttpErrorEntry{HttpErrc::token_wrong_locker, 403, "token_wrong_locker"},
    HttpErrorEntry{HttpErrc::token_wrong_op, 403, "token_wrong_op"},
    HttpErrorEntry{HttpErrc::token_out_of_scope, 403, "token_out_of_scope"},
    HttpErrorEntry{HttpErrc::token_budget_exhausted, 403, "token_budget_exhausted"},
    HttpErrorEntry{HttpErrc::token_wrong_grantee, 403, "token_wrong_grantee"},
    HttpErrorEntry{HttpErrc::remote_token_malformed, 401, "remote_token_malformed"},
    HttpErrorEntry{HttpErrc::remote_token_bad_mac, 401, "remote_token_bad_mac"},
    HttpErrorEntry{HttpErrc::remote_token_expired, 401, "remote_token_expired"},
    HttpErrorEntry{HttpErrc::remote_token_not_yet_valid, 401, "remote_token_not_yet_valid"},
    HttpErrorEntry{HttpErrc::remote_token_invalid, 401, "remote_token_invalid"},
    HttpErrorEntry{HttpErrc::remote_token_wrong_locker, 403, "remote_token_wrong_locker"},
    HttpErrorEntry{HttpErrc::remote_token_wrong_op, 403, "remote_token_wrong_op"},
    HttpErrorEntry{HttpErrc::remote_token_out_of_scope, 403, "remote_token_out_of_scope"},
    HttpErrorEntry{HttpErrc::remote_token_budget_exhausted, 403, "remote_token_budget_exhausted"},
    HttpErrorEntry{HttpErrc::remote_token_wrong_grantee, 403, "remote_token_wrong_grantee"},
    HttpErrorEntry{HttpErrc::remote_not_allowed, 403, "remote_not_allowed"},
    HttpErrorEntry{HttpErrc::remote_refused, 403, "remote_refused"},
    HttpErrorEntry{HttpErrc::remote_failed, 502, "remote_failed"},
    HttpErrorEntry{HttpErrc::remote_busy, 503, "remote_busy"},
    HttpErrorEntry{HttpErrc::locker_exists, 409, "locker_exists"},
    HttpErrorEntry{HttpErrc::too_many_lockers, 507, "too_many_lockers"},
    HttpErrorEntry{HttpErrc::quota_exceeded, 507, "quota_exceeded"},
    HttpErrorEntry{HttpErrc::server_full, 507, "server_full"},
    HttpErrorEntry{HttpErrc::store_failed, 500, "store_failed"},
    HttpErrorEntry{HttpErrc::store_unavailable, 503, "store_unavailable"},
    HttpErrorEntry{HttpErrc::transport, 0, "transport"},
    HttpErrorEntry{HttpErrc::bad_reply, 0, "bad_reply"},
};

namespace detail {
constexpr bool http_table_in_enum_order() {
    for (std::size_t i = 0; i < kHttpErrors.size(); ++i) {
        if (static_cast<std::size_t>(kHttpErrors[i].code) != i) {
            return false;
        }
    }
    return static_cast<std::size_t>(HttpErrc::bad_reply) + 1 == kHttpErrors.size();
}
static_assert(http_table_in_enum_order(), "kHttpErrors: one row per HttpErrc, in enum order");
}  // namespace detail

[[nodiscard]] constexpr unsigned http_status(HttpErrc code) noexcept {
    return kHttpErrors[static_cast<std::size_t>(code)].status;
}
[[nodiscard]] constexpr std::string_view wire_code(HttpErrc code) noexcept {
    return kHttpErrors[static_cast<std::size_t>(code)].wire;
}
// The code for a wire string, or nullopt for one this table does not know.
[[nodiscard]] std::optional<HttpErrc> http_errc_from_wire(std::string_view wire) noexcept;

// One failed request. A service builds it from an HttpErrc (status and wire code come
// from the table); a client that heard an error from a remote service records what it
// was told with `received`, since the remote may speak codes this build does not know.
class HttpError {
  public:
    HttpError(HttpErrc code, std::string detail_text, std::uint32_t retry_after = 0)
        : status(http_status(code)),
          error(wire_code(code)),
          detail(std::move(detail_text)),
          retry_after_s(retry_after) {}

    // What a remote service answered: status and code as they came.
    [[nodiscard]] static HttpError received(unsigned status, std::string error, std::string detail,
                                            std::uint32_t retry_after_s = 0) {
        HttpError e(HttpErrc::bad_request, std::move(detail), retry_after_s);
        e.status = status;
        e.error = std::move(error);
        return e;
    }

    // The typed code, when the wire code is one of the table's.
    [[nodiscard]] std::optional<HttpErrc> code() const noexcept {
        return http_errc_from_wire(error);
    }

    unsigned status;              // HTTP status (0: no answer came)
    std::string error;            // wire code, e.g. "bad_endpoint", "token_expired"
    std::string detail;           // for a person: names the field and what was wrong
    std::uint32_t retry_after_s;  // a busy service's Retry-After (0: none said)
};

// {"error": <code>, "detail": <detail>}: the http_api::ErrorBody of `error`, as protobuf's
// JSON mapping prints it (the detail as given).
[[nodiscard]] std::string error_json(const HttpError& error);

// `detail` with every byte outside printable ASCII replaced by '?' and cut to `max_bytes`,
// for details that quote what the asker sent.
[[nodiscard]] std::string printable_detail(std::string_view detail, std::size_t max_bytes = 300);

// A value or an HttpError (std::expected is C++23). T must be default-constructible; it
// holds a default T on error (a std::variant of a protobuf message trips g++ 12's
// -Wmaybe-uninitialized).
template <class T>
class Expected {
  public:
    Expected() = default;  // a default T (Asio's co_spawn needs default construction)
    Expected(T value) : value_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    Expected(HttpError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    T& value() { return value_; }
    const T& value() const { return value_; }
    T& operator*() { return value_; }
    const T& operator*() const { return value_; }
    T* operator->() { return &value_; }
    const T* operator->() const { return &value_; }
    // Only valid when !has_value().
    [[nodiscard]] const HttpError& error() const { return *error_; }

  private:
    T value_{};
    std::optional<HttpError> error_;
};

}  // namespace p2pls
