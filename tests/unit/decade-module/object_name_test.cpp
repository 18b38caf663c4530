#include "decade-module/core/object_name.hpp"

#include <gtest/gtest.h>

namespace p2pls::decade {
namespace {

TEST(ObjectName, PrefixPlusCanonicalDecimal) {
    EXPECT_EQ(object_name("chan-", 123), "chan-123");
    EXPECT_EQ(object_name("", 0), "0");
    EXPECT_EQ(object_seq("chan-123", "chan-"), 123u);
    EXPECT_EQ(object_seq("chan-0", "chan-"), 0u);
    EXPECT_EQ(object_seq("chan-18446744073709551615", "chan-"), UINT64_MAX);
    EXPECT_FALSE(object_seq("chan-18446744073709551616", "chan-"));
    EXPECT_FALSE(object_seq("chan-007", "chan-"));
    EXPECT_FALSE(object_seq("chan-", "chan-"));
    EXPECT_FALSE(object_seq("chan-1a", "chan-"));
    EXPECT_FALSE(object_seq("chan--1", "chan-"));
    EXPECT_FALSE(object_seq("chax-1", "chan-"));
    EXPECT_FALSE(object_seq("ch", "chan-"));
}

TEST(ObjectName, AlphabetAndLength) {
    EXPECT_TRUE(is_valid_object_name("chan-1.ts_v~2"));
    EXPECT_FALSE(is_valid_object_name(""));
    EXPECT_FALSE(is_valid_object_name(".."));
    EXPECT_FALSE(is_valid_object_name("a/b"));
    EXPECT_FALSE(is_valid_object_name("a%2Fb"));
    EXPECT_FALSE(is_valid_object_name("a b"));
    EXPECT_FALSE(is_valid_object_name(std::string(129, 'a')));
    EXPECT_TRUE(is_valid_object_name(std::string(128, 'a')));
    EXPECT_TRUE(is_valid_prefix(""));
    EXPECT_FALSE(is_valid_prefix("x/"));
    EXPECT_TRUE(is_valid_locker_id("alice"));
    EXPECT_FALSE(is_valid_locker_id(""));
    EXPECT_FALSE(is_valid_locker_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace p2pls::decade
