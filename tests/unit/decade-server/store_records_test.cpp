// The directory store's record parser: it reads back exactly what the formatter wrote, and
// refuses every other text (torn, hand-edited, another version) as store_corrupt.
#include "decade-server/core/store_records.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace p2pls::decade_server {
namespace {

const std::string kHash = to_hex(hash_content("bytes"));
const std::string kSecretHex(64, 'a');

std::string ref_text(std::string_view hash, std::string_view size, std::string_view expiry) {
    return "p2pls-ref 1 " + std::string(hash) + " " + std::string(size) + " " +
           std::string(expiry) + "\n";
}

TEST(StoreRecords, ReferencesRoundTrip) {
    for (const RefRecord& ref : {
             RefRecord{"alice", "o-1", hash_content("bytes"), 5, 1'700'000'000},
             RefRecord{"l-0a1b", "chan-12345", hash_content(""), 0, 0},
             RefRecord{"x", "y", hash_content("z"), kMaxRecordedObjectBytes,
                       std::numeric_limits<UnixSeconds>::max()},
         }) {
        const std::string text = format_ref_record(ref);
        const auto back = parse_ref_record(ref.locker, ref.name, text);
        ASSERT_TRUE(back) << text;
        EXPECT_EQ(*back, ref);
        EXPECT_EQ(format_ref_record(*back), text);
    }
}

TEST(StoreRecords, LockersRoundTrip) {
    decade::LockerSecret secret;
    for (std::size_t i = 0; i < secret.size(); ++i) {
        secret[i] = static_cast<unsigned char>(i * 37);
    }
    for (const LockerRecord& locker : {
             LockerRecord{"alice", secret, 100'000, 1},
             LockerRecord{"l-0a1b", {}, 0, 1000},
             LockerRecord{"big", secret, std::numeric_limits<std::uint64_t>::max(), 7},
         }) {
        const std::string text = format_locker_record(locker);
        const auto back = parse_locker_record(locker.id, text);
        ASSERT_TRUE(back) << text;
        EXPECT_EQ(*back, locker);
        EXPECT_EQ(format_locker_record(*back), text);
    }
}

TEST(StoreRecords, MalformedReferencesAreRefused) {
    struct Case {
        const char* what;
        std::string locker;
        std::string name;
        std::string text;
    };
    const std::string good = ref_text(kHash, "5", "1700000000");
    ASSERT_TRUE(parse_ref_record("alice", "o-1", good));
    for (const Case& c : {
             Case{"empty", "alice", "o-1", ""},
             Case{"torn before the newline", "alice", "o-1", good.substr(0, good.size() - 1)},
             Case{"torn mid-line", "alice", "o-1", good.substr(0, 20)},
             Case{"two lines", "alice", "o-1", good + good},
             Case{"another tag", "alice", "o-1", "p2pls-locker" + good.substr(9)},
             Case{"another version", "alice", "o-1", ref_text(kHash, "5", "1").replace(10, 1, "2")},
             Case{"short hash", "alice", "o-1", ref_text(kHash.substr(1), "5", "1")},
             Case{"upper-case hash", "alice", "o-1", ref_text(std::string(64, 'A'), "5", "1")},
             Case{"negative size", "alice", "o-1", ref_text(kHash, "-5", "1")},
             Case{"leading zero", "alice", "o-1", ref_text(kHash, "05", "1")},
             Case{"plus sign", "alice", "o-1", ref_text(kHash, "+5", "1")},
             Case{"size above the cap", "alice", "o-1", ref_text(kHash, "1073741825", "1")},
             Case{"size overflows", "alice", "o-1", ref_text(kHash, "99999999999999999999", "1")},
             Case{"negative expiry", "alice", "o-1", ref_text(kHash, "5", "-1")},
             Case{"expiry above int64", "alice", "o-1",
                  ref_text(kHash, "5", "9223372036854775808")},
             Case{"double space", "alice", "o-1", "p2pls-ref 1  " + kHash + " 5 1\n"},
             Case{"trailing field", "alice", "o-1", "p2pls-ref 1 " + kHash + " 5 1 9\n"},
             Case{"missing field", "alice", "o-1", "p2pls-ref 1 " + kHash + " 5\n"},
             Case{"CRLF", "alice", "o-1", "p2pls-ref 1 " + kHash + " 5 1\r\n"},
             Case{"NUL inside", "alice", "o-1", std::string("p2pls-ref 1 \0", 13) + kHash + "\n"},
             Case{"too long", "alice", "o-1", good + std::string(300, ' ')},
             Case{"bad locker in the path", "../x", "o-1", good},
             Case{"bad name in the path", "alice", "o 1", good},
             Case{"empty name", "alice", "", good},
         }) {
        const auto r = parse_ref_record(c.locker, c.name, c.text);
        EXPECT_FALSE(r) << c.what;
        if (!r) {
            EXPECT_EQ(r.error(), Errc::store_corrupt) << c.what;
        }
    }
}

TEST(StoreRecords, MalformedLockersAreRefused) {
    auto text = [](std::string_view secret, std::string_view quota, std::string_view share) {
        return "p2pls-locker 1 " + std::string(secret) + " " + std::string(quota) + " " +
               std::string(share) + "\n";
    };
    ASSERT_TRUE(parse_locker_record("alice", text(kSecretHex, "100", "1")));
    struct Case {
        const char* what;
        std::string id;
        std::string text;
    };
    for (const Case& c : {
             Case{"empty", "alice", ""},
             Case{"torn", "alice", text(kSecretHex, "100", "1").substr(0, 40)},
             Case{"share 0", "alice", text(kSecretHex, "100", "0")},
             Case{"share above 1000", "alice", text(kSecretHex, "100", "1001")},
             Case{"share above u32", "alice", text(kSecretHex, "100", "4294967296")},
             Case{"short secret", "alice", text(kSecretHex.substr(2), "100", "1")},
             Case{"secret not hex", "alice", text(std::string(64, 'g'), "100", "1")},
             Case{"quota overflows", "alice", text(kSecretHex, "18446744073709551616", "1")},
             Case{"a reference record", "alice", ref_text(kHash, "5", "1")},
             Case{"bad id", "a/b", text(kSecretHex, "100", "1")},
             Case{"empty id", "", text(kSecretHex, "100", "1")},
         }) {
        EXPECT_FALSE(parse_locker_record(c.id, c.text)) << c.what;
    }
}

}  // namespace
}  // namespace p2pls::decade_server
