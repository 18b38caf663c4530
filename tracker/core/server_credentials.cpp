#include "tracker/core/server_credentials.hpp"

#include <charconv>

#include "common/core/announce_signature.hpp"

namespace p2pls::tracker {

std::optional<HttpError> ServerCredentials::check(std::string_view url, std::string_view body,
                                                  std::string_view timestamp_text,
                                                  std::string_view proof, std::int64_t now_ms,
                                                  std::int64_t skew_ms) const {
    const RegistrationKey* key = nullptr;
    if (const auto it = per_server.find(url); it != per_server.end()) {
        key = &it->second;
    } else if (shared_key) {
        key = &*shared_key;
    }
    if (key == nullptr) {
        return HttpError(HttpErrc::registration_unauthorized,
                         "this tracker has no registration key for " +
                             std::string(url.substr(0, 80)) +
                             " (see registration_key_file in tracker/README.md)");
    }
    if (timestamp_text.empty() || proof.empty()) {
        return HttpError(HttpErrc::registration_unauthorized,
                         "registration needs the X-P2pls-Timestamp and X-P2pls-Proof headers");
    }
    std::int64_t ts = 0;
    const auto [end, ec] =
        std::from_chars(timestamp_text.data(), timestamp_text.data() + timestamp_text.size(), ts);
    if (ec != std::errc{} || end != timestamp_text.data() + timestamp_text.size()) {
        return HttpError(HttpErrc::registration_unauthorized,
                         "X-P2pls-Timestamp must be Unix milliseconds");
    }
    if (!check_registration_proof(*key, ts, body, proof)) {
        return HttpError(HttpErrc::registration_unauthorized,
                         "X-P2pls-Proof does not prove the registration key");
    }
    if (!within_skew(ts, now_ms, skew_ms)) {
        return HttpError(HttpErrc::registration_unauthorized,
                         "X-P2pls-Timestamp is outside the tracker's clock skew");
    }
    return std::nullopt;
}

}  // namespace p2pls::tracker
