// status_from_http: what a DECADE client makes of any HTTP status, body and Retry-After a
// server (or anything pretending to be one) sends back. The mapping follows its contract
// whatever the body says: 2xx is ok, 404 not_found, 507 quota, other 4xx bad request or a
// token error (401/403 only), 503 busy, other 5xx unavailable.
#include "decade-module/curl/decade_client.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::quiet_protobuf();
    using p2pls::Errc;
    p2pls::fuzz::FuzzInput in(data, size);
    const auto status = static_cast<unsigned>(in.in_range(0, 1000));
    const std::string_view retry_after = in.bytes(32);
    const std::string_view body = in.rest();

    const auto got = p2pls::decade::status_from_http(status, body, retry_after);
    const Errc code = got.code;
    if (status >= 200 && status < 300) {
        FUZZ_CHECK(code == Errc::ok);
    } else {
        FUZZ_CHECK(code != Errc::ok);
    }
    if (status == 404) {
        FUZZ_CHECK(code == Errc::not_found);
    }
    if (status == 503) {
        FUZZ_CHECK(code == Errc::busy);
    }
    if (p2pls::decade::token_http_errc(code).has_value()) {
        FUZZ_CHECK(status == 401 || status == 403);
    }
    return 0;
}
