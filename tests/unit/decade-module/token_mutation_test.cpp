// Randomised mutations of valid tokens (bit flips, byte edits, truncations, extensions,
// splices of two valid tokens) must never be accepted: the MAC covers every byte and the
// encoding is canonical, so any change is refused.
#include <gtest/gtest.h>

#include <random>

#include "decade-module/core/token.hpp"

namespace p2pls::decade {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;

TEST(TokenMutation, HundredThousandMutationsAreAllRefused) {
    LockerSecret secret;
    secret.fill(0x5c);
    const LockerKey key(secret);
    const SecretLookup lookup = [&](std::string_view locker) -> const LockerKey* {
        return locker == "alice" ? &key : nullptr;
    };
    std::mt19937_64 rng(20261122);
    std::vector<std::string> valid;
    for (std::uint64_t i = 0; i < 16; ++i) {
        TokenClaims c{.locker = "alice",
                      .ops = kAllOps,
                      .prefix = "chan-",
                      .seq_first = 0,
                      .seq_last = 1'000'000 + i,
                      .not_before_s = kNow - 100,
                      .expiry_s = kNow + 100 + static_cast<UnixSeconds>(i),
                      .byte_budget = 0,
                      .token_id = i,
                      .grantee = ""};
        valid.push_back(*generate_token(secret, c));
    }
    const TokenRequest request{.locker = "alice",
                               .op = Op::get,
                               .object_name = "chan-5",
                               .bytes = 0,
                               .budget_used = 0,
                               .client_id = ""};
    for (const auto& t : valid) {
        ASSERT_TRUE(verify_token(t, lookup, request, kNow, 0).has_value());
    }
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/";
    std::size_t accepted = 0;
    std::size_t unchanged = 0;
    constexpr int kMutations = 120'000;
    for (int n = 0; n < kMutations; ++n) {
        const std::string& original = valid[rng() % valid.size()];
        std::string t = original;
        switch (rng() % 6) {
            case 0: {  // flip one bit of one character
                t[rng() % t.size()] ^= static_cast<char>(1u << (rng() % 8));
                break;
            }
            case 1: {  // replace characters with alphabet characters
                const int edits = 1 + static_cast<int>(rng() % 3);
                for (int e = 0; e < edits; ++e) {
                    t[rng() % t.size()] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
                }
                break;
            }
            case 2:  // truncate
                t.resize(rng() % t.size());
                break;
            case 3: {  // extend
                const int extra = 1 + static_cast<int>(rng() % 8);
                for (int e = 0; e < extra; ++e) {
                    t.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
                }
                break;
            }
            case 4: {  // splice: head of this token, tail of another
                const std::string& other = valid[rng() % valid.size()];
                const std::size_t cut = rng() % t.size();
                const std::size_t from = rng() % other.size();
                t = t.substr(0, cut) + other.substr(from);
                break;
            }
            default: {  // delete a run of characters from the middle
                const std::size_t at = rng() % t.size();
                t.erase(at, 1 + rng() % 4);
                break;
            }
        }
        if (t == original) {
            ++unchanged;
            continue;
        }
        bool is_other_valid = false;
        for (const auto& v : valid) {
            is_other_valid = is_other_valid || t == v;
        }
        if (is_other_valid) {
            ++unchanged;  // a splice that rebuilt a whole valid token is not a mutation
            continue;
        }
        if (verify_token(t, lookup, request, kNow, 0).has_value()) {
            ++accepted;
            ADD_FAILURE() << "accepted mutation: " << t;
        }
    }
    EXPECT_EQ(accepted, 0u);
    EXPECT_GE(kMutations - static_cast<int>(unchanged), 100'000);
}

}  // namespace
}  // namespace p2pls::decade
