#include "decade-module/core/call_status.hpp"

#include <charconv>
#include <cstdint>

#include "common/core/proto_json.hpp"
#include "decade-module/core/requests.hpp"
#include "p2pls/http.pb.h"

namespace p2pls::decade {

CallStatus status_from_http(unsigned http_status, std::string_view body,
                            std::string_view retry_after) {
    CallStatus s;
    s.http_status = http_status;
    if (http_status >= 200 && http_status < 300) {
        return s;
    }
    http_api::ErrorBody error;
    if (!body.empty() && body.size() < 4096 && !parse_json(body, error)) {
        s.reason = error.error();
    }
    if (http_status == 503 && s.reason.find("remote") == std::string::npos) {
        s.code = Errc::busy;
        std::uint32_t seconds = 1;
        const auto [end, ec] =
            std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
        if (ec != std::errc{} || end != retry_after.data() + retry_after.size() || seconds > 3600 ||
            seconds == 0) {
            seconds = 1;
        }
        s.retry_after = std::chrono::seconds(seconds);
        return s;
    }
    s.code = errc_for_answer(http_status, s.reason);
    if (s.code == Errc::busy) {
        s.retry_after = std::chrono::seconds(1);
    }
    if (s.reason.empty()) {
        s.reason = "http_" + std::to_string(http_status);
    }
    return s;
}

}  // namespace p2pls::decade
