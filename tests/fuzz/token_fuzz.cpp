// DECADE tokens: decode and verify any text as a server would. Anything that decodes must
// re-encode (with generate_token) to claims that decode the same; anything that verifies
// must be exactly the text generate_token makes of its claims (no second spelling of a
// capability), and must satisfy the request it was verified for.
#include <array>

#include "decade-module/core/token.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace p2pls::decade;

// The corpus's valid tokens are minted with this secret for this locker
// (tests/fuzz/corpus/token/README.md).
constexpr std::string_view kLocker = "fuzz-locker";
const LockerSecret kSecret = [] {
    LockerSecret s{};
    s.fill(0x42);
    return s;
}();

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::FuzzInput in(data, size);
    static const LockerKey key(kSecret);
    const auto op = static_cast<Op>(1U << in.in_range(0, 3));
    const std::string_view object = in.bytes(40);
    const std::uint64_t bytes = in.in_range(0, 1 << 20);
    const std::uint64_t used = in.in_range(0, 1 << 20);
    const std::string_view client = in.bytes(kMaxGranteeBytes + 1);
    const auto now = static_cast<p2pls::UnixSeconds>(in.integral<std::uint32_t>());
    const std::string_view text = in.rest();

    if (auto claims = decode_token_unverified(text)) {
        const auto again = generate_token(kSecret, *claims);
        if (again) {
            const auto back = decode_token_unverified(*again);
            FUZZ_CHECK(back.has_value() && *back == *claims);
        }
    }

    const SecretLookup lookup = [&](std::string_view locker) -> const LockerKey* {
        return locker == kLocker ? &key : nullptr;
    };
    const TokenRequest request{.locker = kLocker,
                               .op = op,
                               .object_name = object,
                               .bytes = bytes,
                               .budget_used = used,
                               .client_id = client};
    const auto verified = verify_token(text, lookup, request, now);
    if (verified) {
        const auto remade = generate_token(kSecret, *verified);
        FUZZ_CHECK(remade.has_value() && *remade == text);
        FUZZ_CHECK(verified->locker == kLocker);
        FUZZ_CHECK((verified->ops & op_bit(op)) != 0);
        FUZZ_CHECK(verified->grantee.empty() || verified->grantee == client);
        FUZZ_CHECK(verified->byte_budget == 0 || used + bytes <= verified->byte_budget);
        FUZZ_CHECK(now + kDefaultSkewS >= verified->not_before_s);
    } else {
        // Every refusal is a token error, answered 401 or 403: never a crash, never a 500.
        FUZZ_CHECK(&verified.error().category() == &p2pls::p2pls_category());
        const auto code = static_cast<p2pls::Errc>(verified.error().value());
        const unsigned status = token_error_status(code);
        FUZZ_CHECK(status == 401 || status == 403);
    }
    return 0;
}
