#include "decade-server/store/dir_store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/child_process.hpp"

namespace p2pls::decade_server {
namespace {
namespace fs = std::filesystem;

class DirStoreTest : public ::testing::Test {
  protected:
    Blob blob(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

    const p2pls::testing::TempDir tmp_{"decade-dirstore"};
    // Not created yet: DirStore::open makes its own tree.
    const fs::path dir_ = tmp_.path() / "store";
};

TEST_F(DirStoreTest, EverythingSurvivesAReopen) {
    RecoveredState first;
    const auto hash = hash_content("payload");
    {
        auto store = DirStore::open(dir_, first);
        EXPECT_TRUE(first.refs.empty());
        ASSERT_TRUE(store->put_blob(hash, blob("payload")));
        ASSERT_TRUE(store->save_ref({"alice", "o-1", hash, 7, 12345}));
        ASSERT_TRUE(store->save_ref({"bob", "o-2", hash, 7, 999}));
        decade::LockerSecret secret;
        secret.fill(9);
        ASSERT_TRUE(store->save_locker({"carol", secret, 100, 3}));
    }
    RecoveredState again;
    auto store = DirStore::open(dir_, again);
    EXPECT_EQ(again.dropped_corrupt, 0u);
    ASSERT_EQ(again.refs.size(), 2u);
    ASSERT_EQ(again.lockers.size(), 1u);
    EXPECT_EQ(again.lockers[0].quota_bytes, 100u);
    EXPECT_EQ(again.lockers[0].bandwidth_share, 3u);
    EXPECT_EQ(again.lockers[0].secret[31], 9);
    auto got = store->get_blob(hash, 7);
    ASSERT_TRUE(got);
    EXPECT_EQ(**got, "payload");
    EXPECT_FALSE(store->get_blob(hash, 8));
}

TEST_F(DirStoreTest, CorruptTruncatedAndStrayFilesAreDroppedOnLoad) {
    RecoveredState first;
    const auto good = hash_content("good bytes");
    const auto bad = hash_content("bad bytes");
    const auto cut = hash_content("cut bytes");
    {
        auto store = DirStore::open(dir_, first);
        for (auto [h, s] :
             {std::pair{good, "good bytes"}, {bad, "bad bytes"}, {cut, "cut bytes"}}) {
            ASSERT_TRUE(store->put_blob(h, blob(s)));
        }
        ASSERT_TRUE(store->save_ref({"alice", "o-1", good, 10, 5000}));
        ASSERT_TRUE(store->save_ref({"alice", "o-2", bad, 9, 5000}));
        ASSERT_TRUE(store->save_ref({"alice", "o-3", cut, 9, 5000}));
        // Corrupt one blob in place (same size), truncate another, garble a record,
        // leave a temp file and an orphan blob behind.
        std::ofstream(store->blob_path(bad), std::ios::binary | std::ios::trunc) << "BAD bytes";
        fs::resize_file(store->blob_path(cut), 4);
        std::ofstream(dir_ / "refs" / "alice" / "o-4") << "p2pls-ref 1 zz 1 1\n";
        std::ofstream(dir_ / "tmp" / "123-0") << "half written";
        ASSERT_TRUE(store->put_blob(hash_content("orphan"), blob("orphan")));
    }
    RecoveredState again;
    auto store = DirStore::open(dir_, again);
    ASSERT_EQ(again.refs.size(), 1u);
    EXPECT_EQ(again.refs[0].name, "o-1");
    EXPECT_GE(again.dropped_corrupt, 5u);  // 2 blobs + 3 refs
    EXPECT_FALSE(fs::exists(dir_ / "tmp" / "123-0"));
    EXPECT_FALSE(fs::exists(store->blob_path(bad)));
    EXPECT_FALSE(fs::exists(store->blob_path(hash_content("orphan"))));
    EXPECT_FALSE(fs::exists(dir_ / "refs" / "alice" / "o-2"));
    EXPECT_TRUE(store->get_blob(good, 10));
}

}  // namespace
}  // namespace p2pls::decade_server
