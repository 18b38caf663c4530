#include "common/core/http_path.hpp"

namespace p2pls::http {

std::vector<std::string_view> path_segments(std::string_view target) {
    std::vector<std::string_view> out;
    out.reserve(8);  // every route has fewer: one allocation per request, not one per growth
    target = target.substr(0, target.find('?'));
    while (!target.empty()) {
        const auto slash = target.find('/');
        const auto segment = target.substr(0, slash);
        if (!segment.empty()) {
            out.push_back(segment);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        target.remove_prefix(slash + 1);
    }
    return out;
}

std::string_view query_string(std::string_view target) {
    const auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == key) {
            return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

}  // namespace p2pls::http
