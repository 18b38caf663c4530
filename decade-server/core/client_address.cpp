#include "decade-server/core/client_address.hpp"

#include <algorithm>

namespace p2pls::decade_server {

bool looks_like_ip_address(std::string_view text) noexcept {
    constexpr std::size_t kMaxAddressChars = 45;  // INET6_ADDRSTRLEN - 1
    if (text.empty() || text.size() > kMaxAddressChars) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == '.' || c == ':';
    });
}

Expected<std::string> client_address(std::string_view peer_address, std::string_view client_header,
                                     const std::vector<std::string>& trusted_proxies) {
    const bool trusted = std::find(trusted_proxies.begin(), trusted_proxies.end(), peer_address) !=
                         trusted_proxies.end();
    if (!trusted || client_header.empty()) {
        return std::string(peer_address);
    }
    if (!looks_like_ip_address(client_header)) {
        return HttpError(HttpErrc::bad_request,
                         "X-Decade-Client from a trusted proxy must be one IP address, got \"" +
                             printable_detail(client_header, 64) + "\"");
    }
    return std::string(client_header);
}

}  // namespace p2pls::decade_server
