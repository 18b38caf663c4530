// Reading a request target, with no I/O: shared by the HTTP server's users and by the
// cores that route requests (the DECADE server's handle_request).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace p2pls::http {

// "/v1/channels/news/announce?x=1" -> {"v1", "channels", "news", "announce"}.
// Empty segments are dropped; percent-escapes are left as they are.
std::vector<std::string_view> path_segments(std::string_view target);
// The query string without '?', or empty.
std::string_view query_string(std::string_view target);
// The value of `key` in a query string ("a=1&b=2"), undecoded; nullopt when absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view key);

}  // namespace p2pls::http
