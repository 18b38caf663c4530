#include "common/core/http_range.hpp"

#include <gtest/gtest.h>

namespace p2pls::http {
namespace {

using Kind = ByteRange::Kind;

void expect_part(std::string_view header, std::uint64_t size, std::uint64_t first,
                 std::uint64_t length) {
    const auto r = byte_range(header, size);
    EXPECT_EQ(r.kind, Kind::part) << header;
    EXPECT_EQ(r.first, first) << header;
    EXPECT_EQ(r.length, length) << header;
}

TEST(HttpRange, OneRangeOfBytesIsServedAsAsked) {
    expect_part("bytes=0-99", 1000, 0, 100);
    expect_part("bytes=900-", 1000, 900, 100);
    expect_part("bytes=-10", 1000, 990, 10);
    expect_part("bytes=500-5000", 1000, 500, 500);  // past the end: cut to it
    expect_part("bytes=-5000", 1000, 0, 1000);
    expect_part("bytes=999-999", 1000, 999, 1);
    expect_part("Bytes= 10 - 19 ", 1000, 10, 10);
    EXPECT_EQ(content_range(byte_range("bytes=0-99", 1000), 1000), "bytes 0-99/1000");
}

TEST(HttpRange, WhatCannotBeMetIs416AndWhatIsNotUnderstoodIsTheWholeBody) {
    for (const char* header : {"bytes=1000-", "bytes=5000-6000", "bytes=-0"}) {
        const auto r = byte_range(header, 1000);
        EXPECT_EQ(r.kind, Kind::unsatisfiable) << header;
        EXPECT_EQ(content_range(r, 1000), "bytes */1000");
    }
    EXPECT_EQ(byte_range("bytes=0-", 0).kind, Kind::unsatisfiable);
    for (const char* header :
         {"", "items=0-9", "bytes=", "bytes=9-0", "bytes=a-b", "bytes=0-9,20-29", "bytes=5",
          "bytes=--5", "bytes=-", "bytes=+1-2", "bytes=99999999999999999999999-",
          "bytes=0-99999999999999999999999"}) {
        const auto r = byte_range(header, 1000);
        EXPECT_EQ(r.kind, Kind::whole) << header;
        EXPECT_EQ(r.length, 1000u) << header;
    }
}

}  // namespace
}  // namespace p2pls::http
