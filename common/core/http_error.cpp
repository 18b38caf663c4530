#include "common/core/http_error.hpp"

#include "common/core/proto_json.hpp"
#include "p2pls/http.pb.h"

namespace p2pls {

std::optional<HttpErrc> http_errc_from_wire(std::string_view wire) noexcept {
    for (const auto& entry : kHttpErrors) {
        if (entry.wire == wire) {
            return entry.code;
        }
    }
    return std::nullopt;
}

std::string error_json(const HttpError& error) {
    http_api::ErrorBody body;
    body.set_error(error.error);
    body.set_detail(error.detail);
    return to_json(body);
}

std::string printable_detail(std::string_view detail, std::size_t max_bytes) {
    std::string out(detail.substr(0, max_bytes));
    for (auto& c : out) {
        if (c < 0x20 || c > 0x7e) {
            c = '?';
        }
    }
    return out;
}

}  // namespace p2pls
