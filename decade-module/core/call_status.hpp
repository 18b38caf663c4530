// What a DECADE client makes of a server's answer: the HTTP status, the JSON error body
// and Retry-After become one CallStatus. Pure, so that every answer a hostile server could
// send is tested (and fuzzed) without a socket.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"

namespace p2pls::decade {

struct CallStatus {
    unsigned http_status = 0;  // 0: no HTTP answer (connect failed, timeout, body too large)
    Errc code = Errc::ok;      // ok, busy, a token error, not_found, quota_exceeded, ...
    std::string reason;        // the server's error code, e.g. "token_expired"
    std::chrono::seconds retry_after{0};  // when busy()

    [[nodiscard]] bool ok() const noexcept { return code == Errc::ok; }
    [[nodiscard]] bool busy() const noexcept { return code == Errc::busy; }
};

// 2xx ok; 503 busy with Retry-After (1..3600 s, else 1 s); a token error when the body's
// reason names one and the status is the one that error travels with (401 or 403); 404
// not_found; 507 quota_exceeded; other 4xx bad_request; other 5xx unavailable.
CallStatus status_from_http(unsigned http_status, std::string_view body,
                            std::string_view retry_after);

}  // namespace p2pls::decade
