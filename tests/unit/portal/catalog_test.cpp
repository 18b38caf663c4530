#include "portal/core/catalog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "portal/core/download_token.hpp"

namespace p2pls::portal {
namespace {

const std::string kHash(64, 'a');

FileRecord file(std::string publisher, std::string name) {
    return {.id = "f0123456789abcdef",
            .publisher = std::move(publisher),
            .name = std::move(name),
            .size = 7,
            .sha256 = kHash,
            .slice_bytes = 4,
            .slices = {{4, kHash, {"east", "west"}}, {3, kHash, {"west"}}},
            .created_unix_s = 1'800'000'000,
            .stored_until_unix_s = 1'800'000'100};
}

TEST(Catalog, FilesArePerPublisherAndNamesUnique) {
    Catalog c;
    EXPECT_TRUE(c.add(file("alice", "movie.mkv")));
    EXPECT_FALSE(c.add(file("alice", "movie.mkv")));
    EXPECT_TRUE(c.add(file("bob", "movie.mkv")));
    ASSERT_NE(c.find("alice", "movie.mkv"), nullptr);
    EXPECT_EQ(c.find("carol", "movie.mkv"), nullptr);
    EXPECT_EQ(c.list("alice").size(), 1u);
    EXPECT_EQ(c.remove("alice", "movie.mkv")->publisher, "alice");
    EXPECT_FALSE(c.remove("alice", "movie.mkv"));
    EXPECT_NE(c.find("bob", "movie.mkv"), nullptr);
    EXPECT_EQ(slice_object("f0123456789abcdef", 12), "f0123456789abcdef-12");
}

TEST(Catalog, SurvivesItsOwnTextAndRefusesDamagedText) {
    Catalog c;
    ASSERT_TRUE(c.add(file("alice", "a.bin")));
    ASSERT_TRUE(c.add(file("bob", "b.bin")));
    auto back = Catalog::parse(c.serialize());
    ASSERT_TRUE(std::holds_alternative<Catalog>(back)) << std::get<std::string>(back);
    const auto& restored = std::get<Catalog>(back);
    ASSERT_NE(restored.find("alice", "a.bin"), nullptr);
    EXPECT_EQ(*restored.find("alice", "a.bin"), file("alice", "a.bin"));
    EXPECT_EQ(restored.size(), 2u);

    std::string text = c.serialize();
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"\"size\":7", "\"size\":8"},                 // slices do not add up
             {"\"version\":1", "\"version\":2"},           // another format
             {"\"name\":\"a.bin\"", "\"name\":\"../x\""},  // a name that escapes
             {"\"zones\":[\"west\"]", "\"zones\":[]"},     // a slice nowhere
             {"\"id\":\"f0123456789abcdef\"", "\"id\":7"},
         }) {
        std::string damaged = text;
        const auto at = damaged.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        damaged.replace(at, from.size(), to);
        EXPECT_TRUE(std::holds_alternative<std::string>(Catalog::parse(damaged))) << to;
    }
    EXPECT_TRUE(std::holds_alternative<std::string>(Catalog::parse("[]")));
    EXPECT_TRUE(std::holds_alternative<std::string>(Catalog::parse("{")));
}

// The copies' TTL runs out on the zones; the files near the end of it are due, and a
// refresh moves their expiry on and forgets the copies a zone lost, never a slice's last.
TEST(Catalog, FilesNearTheirCopiesExpiryAreDueAndARefreshMovesItOn) {
    Catalog c;
    ASSERT_TRUE(c.add(file("alice", "a.bin")));
    auto later = file("bob", "b.bin");
    later.stored_until_unix_s += 1000;
    ASSERT_TRUE(c.add(later));
    const std::int64_t now = 1'800'000'000;
    EXPECT_TRUE(c.due_for_refresh(now, 50).empty());
    const auto due = c.due_for_refresh(now, 101);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0], (FileKey{"alice", "a.bin", "f0123456789abcdef"}));
    EXPECT_EQ(c.due_for_refresh(now, 2000).size(), 2u);

    // A zone did not confirm: the expiry stays, the file stays due; the lost copy of slice
    // 0 is forgotten, the last copy of slice 1 is kept.
    EXPECT_TRUE(c.record_refresh({due[0], std::nullopt, {{0, "east"}, {1, "west"}, {7, "x"}}}));
    const FileRecord* a = c.find("alice", "a.bin");
    EXPECT_EQ(a->stored_until_unix_s, 1'800'000'100);
    EXPECT_EQ(a->slices[0].zones, std::vector<std::string>{"west"});
    EXPECT_EQ(a->slices[1].zones, std::vector<std::string>{"west"});
    EXPECT_EQ(c.due_for_refresh(now, 101).size(), 1u);

    EXPECT_TRUE(c.record_refresh({due[0], now + 500, {}}));
    EXPECT_EQ(c.find("alice", "a.bin")->stored_until_unix_s, now + 500);
    EXPECT_TRUE(c.due_for_refresh(now, 101).empty());
    EXPECT_FALSE(c.record_refresh({due[0], now + 400, {}}));  // never moved back

    // A refresh of a file since deleted, or deleted and uploaded again, changes nothing.
    ASSERT_TRUE(c.remove("alice", "a.bin"));
    EXPECT_FALSE(c.record_refresh({due[0], now + 900, {}}));
    auto again = file("alice", "a.bin");
    again.id = "f00000000000000ff";
    ASSERT_TRUE(c.add(again));
    EXPECT_FALSE(c.record_refresh({due[0], now + 900, {{0, "east"}}}));
    EXPECT_EQ(*c.find("alice", "a.bin"), again);

    // A catalog written before the portal refreshed: such a file is due at once.
    std::string text = c.serialize();
    const std::string field = "\"stored_until_unix_s\":1800000100,";
    const auto at = text.find(field);
    ASSERT_NE(at, std::string::npos) << text;
    text.erase(at, field.size());
    auto old = Catalog::parse(text);
    ASSERT_TRUE(std::holds_alternative<Catalog>(old)) << std::get<std::string>(old);
    EXPECT_EQ(std::get<Catalog>(old).due_for_refresh(now, 1).size(), 1u);
}

TEST(Catalog, NamesThatCouldEscapeADirectoryAreRefused) {
    EXPECT_TRUE(valid_file_name("movie-2.final_cut.mkv"));
    for (const char* bad : {"", ".hidden", "a/b", "..", "a b", "x\n"}) {
        EXPECT_FALSE(valid_file_name(bad)) << bad;
    }
    EXPECT_FALSE(valid_file_name(std::string(201, 'a')));
    EXPECT_TRUE(valid_publisher_name("alice_2"));
    EXPECT_FALSE(valid_publisher_name("al.ice"));
}

TEST(DownloadToken, CoversTheGetOfOneFilesSlicesOnly) {
    decade::LockerSecret secret{};
    secret.fill(9);
    const auto t =
        download_token(secret, "l-portal", file("alice", "a.bin"),
                       {.not_before_s = 100, .expiry_s = 200, .byte_budget = 70, .token_id = 5});
    ASSERT_TRUE(t);
    const auto claims = decade::decode_token_unverified(*t);
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->locker, "l-portal");
    EXPECT_EQ(claims->ops, decade::op_bit(decade::Op::get));
    EXPECT_EQ(claims->prefix, "f0123456789abcdef-");
    EXPECT_EQ(claims->seq_first, 0u);
    EXPECT_EQ(claims->seq_last, 1u);
    EXPECT_EQ(claims->expiry_s, 200);
    EXPECT_EQ(claims->byte_budget, 70u);
    FileRecord empty = file("alice", "a.bin");
    empty.slices.clear();
    EXPECT_FALSE(download_token(secret, "l-portal", empty, {}));
}

}  // namespace
}  // namespace p2pls::portal
