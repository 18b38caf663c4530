// The one rate syntax of every command line and scenario file (common/core/byte_rate.hpp).
#include "common/core/byte_rate.hpp"

#include <gtest/gtest.h>

namespace p2pls {
namespace {

TEST(ByteRate, BytesWithDecimalSuffixes) {
    EXPECT_EQ(parse_byte_rate("0").value(), 0u);
    EXPECT_EQ(parse_byte_rate("250000").value(), 250'000u);
    EXPECT_EQ(parse_byte_rate("500k").value(), 500'000u);
    EXPECT_EQ(parse_byte_rate("500K").value(), 500'000u);
    EXPECT_EQ(parse_byte_rate("1.5M").value(), 1'500'000u);
    EXPECT_EQ(parse_byte_rate("2m").value(), 2'000'000u);
    EXPECT_EQ(parse_byte_rate("1G").value(), 1'000'000'000u);
}

TEST(ByteRate, BitRatesAreDividedByEight) {
    EXPECT_EQ(parse_byte_rate("750kbit").value(), 93'750u);
    EXPECT_EQ(parse_byte_rate("4Mbit").value(), 500'000u);
    EXPECT_EQ(parse_byte_rate("1Gbit").value(), 125'000'000u);
    EXPECT_EQ(parse_byte_rate("1kbit").value(), 125u);
    EXPECT_EQ(parse_byte_rate("0.001kbit").value(), 0u);  // rounded to the nearest byte
}

TEST(ByteRate, BadTextIsRefusedNotGuessed) {
    for (const char* bad : {"", "k", "kbit", "-5", "+5", "-5k", "lots", "12x", "5 k", " 5", "5kb",
                            "1.5", "nan", "inf", "1e3", "0x10", "1e300M", "2000000G", "5kbit/s"}) {
        const auto r = parse_byte_rate(bad);
        EXPECT_FALSE(r.has_value()) << "'" << bad << "'";
        if (!r) {
            EXPECT_EQ(r.error(), make_error_code(Errc::config_invalid)) << bad;
        }
    }
    EXPECT_EQ(parse_byte_rate("1000000G").value(), kMaxByteRate);  // the cap itself passes
}

}  // namespace
}  // namespace p2pls
