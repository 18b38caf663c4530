// tracker::handle_request with any method, target and body, on one state that lives across
// inputs as a real tracker's does. Every answer is a status the API documents, with a JSON
// error body for 4xx/5xx, and the state stays bounded by its config. The seeds carry signed
// source announces and proven server registrations, so the accepting paths are reached.
#include <string>

#include "common/core/proto_json.hpp"
#include "p2pls/http.pb.h"
#include "tests/fuzz/fuzz_input.hpp"
#include "tracker/core/api.hpp"

namespace {

// The clock of every input is this Unix time plus a fuzzed offset, so that the seeds'
// signed announces and registration proofs, stamped at such times, are fresh.
constexpr std::int64_t kBaseUnixMs = 1'800'000'000'000;
constexpr unsigned char kRegistrationKeyByte = 0x33;

p2pls::tracker::TrackerState& state() {
    static p2pls::tracker::TrackerState s(
        [] {
            p2pls::tracker::TrackerConfig c;
            // The seeds' registrations prove this key (tests/fuzz/make_seeds.cpp).
            p2pls::RegistrationKey key{};
            key.fill(kRegistrationKeyByte);
            c.server_credentials.shared_key = key;
            return c;
        }(),
        1);
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::quiet_protobuf();
    p2pls::fuzz::FuzzInput in(data, size);
    static const std::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
    const auto offset_s = static_cast<std::int64_t>(in.in_range(0, 120));
    const std::string_view method = kMethods[in.in_range(0, 4)];
    const std::string_view target = in.bytes(200);
    const std::string_view host = in.bytes(40);
    const std::string_view proof_timestamp = in.bytes(20);
    const std::string_view proof = in.bytes(64);
    const std::string_view body = in.rest();

    const p2pls::tracker::ApiRequest request{.method = method,
                                             .target = target,
                                             .body = body,
                                             .remote_host = host,
                                             .unix_ms = kBaseUnixMs + offset_s * 1000,
                                             .proof_timestamp = proof_timestamp,
                                             .proof = proof};
    const auto now = p2pls::TimePoint{} + std::chrono::seconds(offset_s);
    const auto response = p2pls::tracker::handle_request(state(), request, now);
    FUZZ_CHECK(response.status >= 200 && response.status < 600);
    FUZZ_CHECK(response.status != 500);
    if (response.status >= 400) {
        p2pls::http_api::ErrorBody error;
        FUZZ_CHECK(!p2pls::parse_json(response.body, error).has_value());
        FUZZ_CHECK(!error.error().empty());
    }
    if (response.status == 405) {
        FUZZ_CHECK(!response.allow.empty());
    }
    return 0;
}
