#include "decade-module/core/token.hpp"

#include <gtest/gtest.h>

#include <sodium.h>
#include <map>

namespace p2pls::decade {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;

LockerSecret secret_of(unsigned char fill) {
    LockerSecret s;
    s.fill(fill);
    return s;
}

const LockerSecret kAlice = secret_of(0xA1);
const LockerSecret kBob = secret_of(0xB0);

SecretLookup lookup() {
    static const LockerKey alice(kAlice);
    static const LockerKey bob(kBob);
    return [](std::string_view locker) -> const LockerKey* {
        if (locker == "alice") {
            return &alice;
        }
        if (locker == "bob") {
            return &bob;
        }
        return nullptr;
    };
}

TokenClaims base_claims() {
    return TokenClaims{.locker = "alice",
                       .ops = op_bit(Op::get) | op_bit(Op::put),
                       .prefix = "chan-",
                       .seq_first = 100,
                       .seq_last = 163,
                       .not_before_s = kNow - 10,
                       .expiry_s = kNow + 60,
                       .byte_budget = 1'000'000,
                       .token_id = 42,
                       .grantee = ""};
}

TokenRequest base_request() {
    return TokenRequest{.locker = "alice",
                        .op = Op::get,
                        .object_name = "chan-120",
                        .bytes = 1000,
                        .budget_used = 0,
                        .client_id = "127.0.0.2"};
}

std::string mint(const TokenClaims& c, const LockerSecret& s = kAlice) {
    auto token = generate_token(s, c);
    EXPECT_TRUE(token.has_value());
    return token ? *token : std::string{};
}

// Raw bytes <-> token text, for vectors that edit the decoded form.
std::string raw_of(const std::string& token) {
    std::string raw(token.size(), '\0');
    std::size_t len = 0;
    EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(),
                                token.data(), token.size(), nullptr, &len, nullptr,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    raw.resize(len);
    return raw;
}

std::string token_of(const std::string& raw) {
    std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                    '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                      raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.find('\0'));
    return out;
}

// Re-MACs a payload under a secret: a correctly signed token with hand-made bytes.
std::string sign_raw(std::string payload, const LockerSecret& s = kAlice) {
    unsigned char mac[32];
    crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(payload.data()),
                           payload.size(), s.data());
    payload.append(reinterpret_cast<const char*>(mac), 32);
    return token_of(payload);
}

struct Vector {
    const char* name;
    std::string token;
    TokenRequest request;
    UnixSeconds now;
    std::int64_t skew;
    Errc expect;  // ok = accepted
};

std::vector<Vector> vectors() {
    const TokenRequest req = base_request();
    const std::string good = mint(base_claims());
    const std::string good_raw = raw_of(good);
    std::vector<Vector> v;
    auto with = [&](const char* name, auto edit, Errc expect) {
        TokenClaims c = base_claims();
        edit(c);
        v.push_back({name, mint(c), req, kNow, 0, expect});
    };
    auto req_with = [&](const char* name, auto edit, Errc expect) {
        TokenRequest r = req;
        edit(r);
        v.push_back({name, good, r, kNow, 0, expect});
    };
    auto raw_edit = [&](const char* name, auto edit, Errc expect) {
        std::string raw = good_raw;
        edit(raw);
        v.push_back({name, token_of(raw), req, kNow, 0, expect});
    };

    v.push_back({"valid", good, req, kNow, 0, Errc::ok});
    // --- each claim byte tampered: MAC fails ---
    raw_edit(
        "tampered version->ops byte", [](std::string& r) { r[1] ^= 0x04; }, Errc::token_bad_mac);
    raw_edit(
        "tampered locker char", [](std::string& r) { r[3] = 'b'; }, Errc::token_bad_mac);
    raw_edit(
        "tampered prefix char", [](std::string& r) { r[9] = 'x'; }, Errc::token_bad_mac);
    raw_edit(
        "tampered seq_first", [](std::string& r) { r[14] ^= 0x01; }, Errc::token_bad_mac);
    raw_edit(
        "tampered seq span", [](std::string& r) { r[15] ^= 0x01; }, Errc::token_bad_mac);
    raw_edit(
        "tampered not_before", [](std::string& r) { r[16] ^= 0x01; }, Errc::token_bad_mac);
    raw_edit(
        "tampered budget/id area", [](std::string& r) { r[r.size() - 34] ^= 0x01; },
        Errc::token_bad_mac);
    raw_edit(
        "tampered MAC first byte", [](std::string& r) { r[r.size() - 32] ^= 0x80; },
        Errc::token_bad_mac);
    raw_edit(
        "tampered MAC last byte", [](std::string& r) { r.back() ^= 0x01; }, Errc::token_bad_mac);
    raw_edit(
        "zeroed MAC", [](std::string& r) { std::fill(r.end() - 32, r.end(), '\0'); },
        Errc::token_bad_mac);
    v.push_back({"signed with another secret", mint(base_claims(), kBob), req, kNow, 0,
                 Errc::token_bad_mac});
    {
        TokenClaims c = base_claims();
        c.locker = "mallory";
        v.push_back({"unknown locker", mint(c), req, kNow, 0, Errc::token_bad_mac});
    }
    // --- structure ---
    raw_edit(
        "wrong version 2", [](std::string& r) { r[0] = 2; }, Errc::token_malformed);
    raw_edit(
        "wrong version 0", [](std::string& r) { r[0] = 0; }, Errc::token_malformed);
    raw_edit(
        "truncated by one byte", [](std::string& r) { r.pop_back(); }, Errc::token_malformed);
    raw_edit(
        "truncated to half", [](std::string& r) { r.resize(r.size() / 2); }, Errc::token_malformed);
    raw_edit(
        "trailing byte", [](std::string& r) { r.push_back('\0'); }, Errc::token_malformed);
    v.push_back({"empty", "", req, kNow, 0, Errc::token_malformed});
    v.push_back({"not base64", "!!!!", req, kNow, 0, Errc::token_malformed});
    v.push_back({"padding present", good + "=", req, kNow, 0, Errc::token_malformed});
    v.push_back({"standard base64 alphabet", good + "+", req, kNow, 0, Errc::token_malformed});
    {
        // The unused low bits of the last character set: same bytes, non-canonical text.
        std::string t = good;
        const std::string alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        t.back() = alphabet[alphabet.find(t.back()) | 1];
        v.push_back({"non-canonical last character", t, req, kNow, 0, Errc::token_malformed});
    }
    v.push_back({"far too long", std::string(4096, 'A'), req, kNow, 0, Errc::token_malformed});
    {
        std::string payload = good_raw.substr(0, good_raw.size() - 32);
        payload += '\x01';  // correctly MAC'd but with a trailing byte inside the payload
        v.push_back({"signed payload with trailing byte", sign_raw(payload), req, kNow, 0,
                     Errc::token_malformed});
        std::string longlen = good_raw.substr(0, 2) + '\x41' + std::string(65, 'a');
        v.push_back({"locker length above cap", sign_raw(longlen + good_raw.substr(8)), req, kNow,
                     0, Errc::token_malformed});
    }
    // --- time window ---
    with(
        "expired one second ago", [](TokenClaims& c) { c.expiry_s = kNow - 1; },
        Errc::token_expired);
    with(
        "expired exactly at the boundary", [](TokenClaims& c) { c.expiry_s = kNow; },
        Errc::token_expired);
    with(
        "valid one second before expiry", [](TokenClaims& c) { c.expiry_s = kNow + 1; }, Errc::ok);
    with(
        "not yet valid",
        [](TokenClaims& c) {
            c.not_before_s = kNow + 1;
            c.expiry_s = kNow + 100;
        },
        Errc::token_not_yet_valid);
    with(
        "valid exactly at not_before", [](TokenClaims& c) { c.not_before_s = kNow; }, Errc::ok);
    {
        TokenClaims c = base_claims();
        c.expiry_s = kNow - 5;
        v.push_back({"expired but within skew", mint(c), req, kNow, 10, Errc::ok});
        v.push_back({"expired at skew boundary", mint(c), req, kNow + 5, 10, Errc::token_expired});
        c = base_claims();
        c.not_before_s = kNow + 5;
        v.push_back({"early but within skew", mint(c), req, kNow, 10, Errc::ok});
        v.push_back({"early beyond skew", mint(c), req, kNow - 6, 10, Errc::token_not_yet_valid});
    }
    // --- locker, grantee, op, scope, budget ---
    req_with(
        "wrong locker", [](TokenRequest& r) { r.locker = "bob"; }, Errc::token_wrong_locker);
    req_with(
        "wrong op delete", [](TokenRequest& r) { r.op = Op::remove; }, Errc::token_wrong_op);
    req_with(
        "wrong op status", [](TokenRequest& r) { r.op = Op::status; }, Errc::token_wrong_op);
    req_with(
        "put granted", [](TokenRequest& r) { r.op = Op::put; }, Errc::ok);
    req_with(
        "seq first in range", [](TokenRequest& r) { r.object_name = "chan-100"; }, Errc::ok);
    req_with(
        "seq last in range", [](TokenRequest& r) { r.object_name = "chan-163"; }, Errc::ok);
    req_with(
        "seq below range", [](TokenRequest& r) { r.object_name = "chan-99"; },
        Errc::token_out_of_scope);
    req_with(
        "seq above range", [](TokenRequest& r) { r.object_name = "chan-164"; },
        Errc::token_out_of_scope);
    req_with(
        "other prefix", [](TokenRequest& r) { r.object_name = "chax-120"; },
        Errc::token_out_of_scope);
    req_with(
        "leading zero seq", [](TokenRequest& r) { r.object_name = "chan-0120"; },
        Errc::token_out_of_scope);
    req_with(
        "prefix only", [](TokenRequest& r) { r.object_name = "chan-"; }, Errc::token_out_of_scope);
    req_with(
        "seq with suffix", [](TokenRequest& r) { r.object_name = "chan-120x"; },
        Errc::token_out_of_scope);
    req_with(
        "seq overflowing u64", [](TokenRequest& r) { r.object_name = "chan-18446744073709551616"; },
        Errc::token_out_of_scope);
    req_with(
        "budget exactly used up",
        [](TokenRequest& r) {
            r.budget_used = 999'000;
            r.bytes = 1000;
        },
        Errc::ok);
    req_with(
        "budget exhausted by one byte",
        [](TokenRequest& r) {
            r.budget_used = 999'000;
            r.bytes = 1001;
        },
        Errc::token_budget_exhausted);
    req_with(
        "budget already overdrawn",
        [](TokenRequest& r) {
            r.budget_used = 2'000'000;
            r.bytes = 0;
        },
        Errc::token_budget_exhausted);
    with(
        "unlimited budget", [](TokenClaims& c) { c.byte_budget = 0; }, Errc::ok);
    with(
        "grantee matches", [](TokenClaims& c) { c.grantee = "127.0.0.2"; }, Errc::ok);
    with(
        "wrong grantee", [](TokenClaims& c) { c.grantee = "127.0.0.3"; },
        Errc::token_wrong_grantee);
    with(
        "status-only token used for get", [](TokenClaims& c) { c.ops = op_bit(Op::status); },
        Errc::token_wrong_op);
    {
        TokenClaims c = base_claims();
        c.ops = op_bit(Op::status);
        TokenRequest r = req;
        r.op = Op::status;
        r.object_name = "";
        v.push_back({"status needs no object", mint(c), r, kNow, 0, Errc::ok});
    }
    with(
        "full u64 seq range",
        [](TokenClaims& c) {
            c.prefix = "";
            c.seq_first = 0;
            c.seq_last = UINT64_MAX;
        },
        Errc::token_out_of_scope);  // "chan-120" has no bare-decimal form
    return v;
}

TEST(TokenVectors, EachVectorGivesItsExpectedResult) {
    const auto all = vectors();
    ASSERT_GE(all.size(), 30u);
    for (const auto& vec : all) {
        const auto result = verify_token(vec.token, lookup(), vec.request, vec.now, vec.skew);
        if (vec.expect == Errc::ok) {
            EXPECT_TRUE(result.has_value()) << vec.name << ": " << result.error().message();
        } else {
            ASSERT_FALSE(result.has_value()) << vec.name;
            EXPECT_EQ(result.error(), make_error_code(vec.expect))
                << vec.name << ": got " << result.error().message();
        }
    }
}

TEST(Token, RoundTripsEveryClaim) {
    TokenClaims c = base_claims();
    c.grantee = "peer-7";
    c.seq_first = UINT64_MAX - 3;
    c.seq_last = UINT64_MAX;
    c.token_id = UINT64_MAX;
    const auto decoded = decode_token_unverified(mint(c));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, c);
}

TEST(Token, TypicalRangeTokenIsCompact) {
    TokenClaims c = base_claims();
    c.locker = "peer-0123456";
    c.seq_first = 1'000'000;
    c.seq_last = 1'000'063;
    c.token_id = 0x1234'5678'9abcULL;
    const std::string token = mint(c);
    EXPECT_LE(token.size(), 120u) << token;
}

TEST(Token, GenerateRefusesUnencodableClaims) {
    auto bad = [](auto edit) {
        TokenClaims c = base_claims();
        edit(c);
        return !generate_token(kAlice, c).has_value();
    };
    EXPECT_TRUE(bad([](TokenClaims& c) { c.locker = ""; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.locker = std::string(65, 'a'); }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.locker = "a/b"; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.prefix = "chan/"; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.grantee = std::string(65, 'g'); }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.ops = 0; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.ops = 16; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.seq_last = c.seq_first - 1; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.expiry_s = c.not_before_s - 1; }));
    EXPECT_TRUE(bad([](TokenClaims& c) { c.not_before_s = -1; }));
    EXPECT_FALSE(bad([](TokenClaims&) {}));
}

TEST(Token, ErrorStatusMapping) {
    EXPECT_EQ(token_error_status(Errc::token_bad_mac), 401u);
    EXPECT_EQ(token_error_status(Errc::token_malformed), 401u);
    EXPECT_EQ(token_error_status(Errc::token_expired), 401u);
    EXPECT_EQ(token_error_status(Errc::token_not_yet_valid), 401u);
    EXPECT_EQ(token_error_status(Errc::token_out_of_scope), 403u);
    EXPECT_EQ(token_error_status(Errc::token_wrong_op), 403u);
    EXPECT_EQ(token_error_status(Errc::token_wrong_locker), 403u);
    EXPECT_EQ(token_error_status(Errc::token_budget_exhausted), 403u);
    EXPECT_EQ(token_error_status(Errc::token_wrong_grantee), 403u);
    EXPECT_EQ(token_error_status(Errc::not_found), 0u);
    EXPECT_EQ(token_error_reason(Errc::token_expired), "token_expired");
}

TEST(Ops, ParseAndPrint) {
    EXPECT_EQ(parse_ops("get,put"), op_bit(Op::get) | op_bit(Op::put));
    EXPECT_EQ(parse_ops("all"), kAllOps);
    EXPECT_FALSE(parse_ops("").has_value());
    EXPECT_FALSE(parse_ops("get,,put").has_value());
    EXPECT_FALSE(parse_ops("read").has_value());
    EXPECT_EQ(ops_to_string(kAllOps), "get,put,delete,status");
}

}  // namespace
}  // namespace p2pls::decade
