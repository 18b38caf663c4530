// Who may register a DECADE server with the tracker: the operator configures a shared
// registration key, or a key per server URL (which then replaces the shared key for that
// URL). A registration proves it holds the key with an HMAC over its body and a timestamp
// (common/core/registration_proof.hpp); with no key configured, no server can register
// over the API (servers listed in the config file need none).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/http_error.hpp"
#include "common/core/registration_proof.hpp"

namespace p2pls::tracker {

struct ServerCredentials {
    std::optional<RegistrationKey> shared_key;
    std::map<std::string, RegistrationKey, std::less<>> per_server;  // by server URL

    // nullopt when (timestamp_text, proof) proves `body`, which registers `url`, under the
    // key for `url`, with the timestamp within skew_ms of now_ms; else the 401.
    [[nodiscard]] std::optional<HttpError> check(std::string_view url, std::string_view body,
                                                 std::string_view timestamp_text,
                                                 std::string_view proof, std::int64_t now_ms,
                                                 std::int64_t skew_ms) const;
};

}  // namespace p2pls::tracker
