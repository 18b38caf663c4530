#include "decade-server/store/dir_store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "decade-module/core/token.hpp"
#include "decade-server/core/server_core.hpp"
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

TEST_F(DirStoreTest, AMissingBlobIsNotFoundAndAnUnreadableOneIsTransient) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first);
    const auto gone = hash_content("gone");
    const auto odd = hash_content("odd");
    ASSERT_TRUE(store->put_blob(gone, blob("gone")));
    ASSERT_TRUE(store->put_blob(odd, blob("odd")));
    fs::remove(store->blob_path(gone));
    const auto missing = store->get_blob(gone, 4);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), Errc::not_found);
    EXPECT_TRUE(blob_is_gone(missing.error()));
    // A folder where the blob should be: open() works, read() fails with EISDIR. Not a
    // verdict on the bytes, so nothing may be dropped for it.
    fs::remove(store->blob_path(odd));
    fs::create_directory(store->blob_path(odd));
    const auto unreadable = store->get_blob(odd, 3);
    ASSERT_FALSE(unreadable);
    EXPECT_EQ(unreadable.error(), Errc::io_error);
    EXPECT_FALSE(blob_is_gone(unreadable.error()));
    EXPECT_TRUE(fs::exists(store->blob_path(odd)));
}

TEST_F(DirStoreTest, OnlyBytesThatFailTheirHashAreCorrupt) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first);
    const auto hash = hash_content("twelve bytes");
    ASSERT_TRUE(store->put_blob(hash, blob("twelve bytes")));
    // Other bytes under the name, of another size: verified bad.
    std::ofstream(store->blob_path(hash), std::ios::binary | std::ios::trunc) << "short";
    const auto bad = store->get_blob(hash, 12);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), Errc::store_corrupt);
    // Put deduplicates by content, not by size: the bad file is replaced, not trusted.
    std::ofstream(store->blob_path(hash), std::ios::binary | std::ios::trunc) << "TWELVE BYTES";
    ASSERT_TRUE(store->put_blob(hash, blob("twelve bytes")));
    const auto good = store->get_blob(hash, 12);
    ASSERT_TRUE(good);
    EXPECT_EQ(**good, "twelve bytes");
}

// A whole GET takes the blob as its open file (sent with sendfile): the file stays open
// for the next GET, and a removed blob's file is let go while a response still holding it
// can finish.
TEST_F(DirStoreTest, ABlobIsServedAsItsOpenFileKeptForTheNextGet) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first);
    const std::string bytes = "the bytes of a blob";
    const auto hash = hash_content(bytes);
    ASSERT_TRUE(store->put_blob(hash, blob(bytes)));
    const auto file = store->open_blob(hash, bytes.size());
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->has_value());
    const BlobFile f = **file;
    EXPECT_EQ(f.size, bytes.size());
    std::string read(bytes.size(), '\0');
    ASSERT_EQ(::pread(f.fd->get(), read.data(), read.size(), 0),
              static_cast<ssize_t>(bytes.size()));
    EXPECT_EQ(read, bytes);
    const auto again = store->open_blob(hash, bytes.size());
    ASSERT_TRUE(again && again->has_value());
    EXPECT_EQ((*again)->fd, f.fd) << "not the file kept open";
    EXPECT_EQ(store->open_blob_files(), 1u);
    ASSERT_TRUE(store->get_blob(hash, bytes.size()));  // bytes, through the same file
    store->remove_blob(hash);
    EXPECT_EQ(store->open_blob_files(), 0u);
    EXPECT_EQ(::pread(f.fd->get(), read.data(), read.size(), 0), static_cast<ssize_t>(bytes.size()))
        << "a response still sending it lost its file";
    const auto gone = store->open_blob(hash, bytes.size());
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error(), Errc::not_found);
}

// Through the core: a whole GET gets the object as its open file (for sendfile), a batch
// GET its bytes (they go inside the batch's protobuf); both are charged alike.
TEST_F(DirStoreTest, AWholeGetTakesTheOpenFileABatchGetTheBytes) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first);
    ServerCore core(ServerConfig{}, *store);
    decade::LockerSecret secret{};
    secret.fill(4);
    ASSERT_TRUE(core.add_locker({"alice", secret, 1 << 20, 1}));
    const UnixSeconds now = 1'800'000'000;
    const std::string token = *decade::generate_token(secret, {.locker = "alice",
                                                               .ops = decade::kAllOps,
                                                               .prefix = "o-",
                                                               .seq_first = 0,
                                                               .seq_last = 9,
                                                               .not_before_s = now - 1,
                                                               .expiry_s = now + 60,
                                                               .byte_budget = 0,
                                                               .token_id = 1,
                                                               .grantee = ""});
    const Caller alice{token, "10.0.0.1"};
    ASSERT_TRUE(core.put(alice, "alice", "o-1", "object bytes", std::nullopt, now).ok());
    const OpResult whole =
        core.get(alice, "alice", "o-1", now, ServerCore::kNoByteLimit, ObjectForm::file_if_stored);
    ASSERT_TRUE(whole.ok()) << whole.detail;
    EXPECT_EQ(whole.data, nullptr);
    ASSERT_NE(whole.file.fd, nullptr);
    EXPECT_EQ(whole.file.size, 12u);
    std::string read(12, '\0');
    EXPECT_EQ(::pread(whole.file.fd->get(), read.data(), read.size(), 0), 12);
    EXPECT_EQ(read, "object bytes");
    const OpResult in_batch = core.get(alice, "alice", "o-1", now);
    ASSERT_TRUE(in_batch.ok());
    ASSERT_NE(in_batch.data, nullptr);
    EXPECT_EQ(*in_batch.data, "object bytes");
    EXPECT_EQ(in_batch.file.fd, nullptr);
}

TEST_F(DirStoreTest, AtMostTheConfiguredNumberOfFilesStayOpen) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first, 2);
    for (const std::string bytes : {"one", "two", "three"}) {
        ASSERT_TRUE(store->put_blob(hash_content(bytes), blob(bytes)));
        ASSERT_TRUE(store->open_blob(hash_content(bytes), bytes.size()));
    }
    EXPECT_EQ(store->open_blob_files(), 2u);
    auto none = DirStore::open(tmp_.path() / "other", first, 0);
    ASSERT_TRUE(none->put_blob(hash_content("one"), blob("one")));
    ASSERT_TRUE(none->open_blob(hash_content("one"), 3));
    EXPECT_EQ(none->open_blob_files(), 0u);
}

// A blob file cut short under the server while it is kept open: the next read lets the
// open file go, opens it afresh and finds it corrupt, as it would have without the cache.
TEST_F(DirStoreTest, ABlobCutShortWhileOpenIsFoundCorrupt) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first);
    const std::string bytes = "twelve bytes";
    const auto hash = hash_content(bytes);
    ASSERT_TRUE(store->put_blob(hash, blob(bytes)));
    ASSERT_TRUE(store->open_blob(hash, bytes.size()));
    ASSERT_EQ(::truncate(store->blob_path(hash).c_str(), 5), 0);
    const auto cut = store->get_blob(hash, bytes.size());
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error(), Errc::store_corrupt);
    const auto as_file = store->open_blob(hash, bytes.size());
    ASSERT_FALSE(as_file);
    EXPECT_EQ(as_file.error(), Errc::store_corrupt);
}

TEST_F(DirStoreTest, ASecondOpenOfTheSameDirectoryIsRefused) {
    RecoveredState first;
    auto store = DirStore::open(dir_, first);
    ASSERT_TRUE(store->put_blob(hash_content("kept"), blob("kept")));
    ASSERT_TRUE(store->save_ref({"alice", "o-1", hash_content("kept"), 4, 5000}));
    std::ofstream(dir_ / "tmp" / "1-0") << "the first store's write in progress";
    RecoveredState second;
    try {
        (void)DirStore::open(dir_, second);
        ADD_FAILURE() << "a second store opened the same directory";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("in use by another decade-server (pid " +
                                             std::to_string(::getpid())),
                  std::string::npos)
            << e.what();
    }
    // The refused open touched nothing of the first store's.
    EXPECT_TRUE(fs::exists(dir_ / "tmp" / "1-0"));
    EXPECT_TRUE(store->get_blob(hash_content("kept"), 4));
    store.reset();
    RecoveredState third;
    EXPECT_NO_THROW((void)DirStore::open(dir_, third));
    EXPECT_EQ(third.refs.size(), 1u);
}

TEST_F(DirStoreTest, LockerSecretsAreOwnerOnly) {
    RecoveredState first;
    {
        auto store = DirStore::open(dir_, first);
        decade::LockerSecret secret;
        secret.fill(7);
        ASSERT_TRUE(store->save_locker({"alice", secret, 100, 1}));
        EXPECT_EQ(fs::status(store->locker_path("alice")).permissions(),
                  fs::perms::owner_read | fs::perms::owner_write);
        // As an older version left it.
        fs::permissions(store->locker_path("alice"), fs::perms(0644));
        fs::permissions(dir_ / "lockers", fs::perms(0755));
    }
    RecoveredState again;
    auto store = DirStore::open(dir_, again);
    ASSERT_EQ(again.lockers.size(), 1u);
    EXPECT_EQ(fs::status(store->locker_path("alice")).permissions(), fs::perms(0600));
    EXPECT_EQ(fs::status(dir_ / "lockers").permissions(), fs::perms(0700));
}

// The states a crash can leave (DirStore writes the blob, then the reference, each by
// temp file and rename), built on disk by hand: after the restart every acknowledged
// object is there, and nothing torn is.
TEST_F(DirStoreTest, ACrashBetweenBlobAndReferenceLeavesNoTornState) {
    const auto acked = hash_content("acknowledged");
    const auto orphan = hash_content("blob written, reference not");
    {
        RecoveredState first;
        auto store = DirStore::open(dir_, first);
        ASSERT_TRUE(store->put_blob(acked, blob("acknowledged")));
        ASSERT_TRUE(store->save_ref({"alice", "o-1", acked, 12, 5000}));
        // Crash 1: the next put's blob is in place, its reference never came.
        ASSERT_TRUE(store->put_blob(orphan, blob("blob written, reference not")));
        // Crash 2: a reference's temp file, half written, never renamed.
        std::ofstream(dir_ / "tmp" / "77-3") << "p2pls-ref 1 " << to_hex(orphan).substr(0, 20);
        // Crash 3: a blob's temp file, cut short.
        std::ofstream(dir_ / "tmp" / "77-4") << "blob wri";
    }
    RecoveredState again;
    auto store = DirStore::open(dir_, again);
    ASSERT_EQ(again.refs.size(), 1u);
    EXPECT_EQ(again.refs[0].name, "o-1");
    const auto got = store->get_blob(acked, 12);
    ASSERT_TRUE(got);
    EXPECT_EQ(**got, "acknowledged");
    EXPECT_FALSE(fs::exists(store->blob_path(orphan)));
    EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
    EXPECT_EQ(again.unreadable, 0u);
}

TEST_F(DirStoreTest, DeletesAreDurableAndIdempotent) {
    RecoveredState first;
    {
        auto store = DirStore::open(dir_, first);
        ASSERT_TRUE(store->put_blob(hash_content("x"), blob("x")));
        ASSERT_TRUE(store->save_ref({"alice", "o-1", hash_content("x"), 1, 5000}));
        ASSERT_TRUE(store->save_ref({"alice", "o-2", hash_content("x"), 1, 5000}));
        EXPECT_TRUE(store->remove_ref("alice", "o-1"));
        EXPECT_TRUE(store->remove_ref("alice", "o-1"));  // already gone: fine
    }
    RecoveredState again;
    (void)DirStore::open(dir_, again);
    ASSERT_EQ(again.refs.size(), 1u);
    EXPECT_EQ(again.refs[0].name, "o-2");
}

}  // namespace
}  // namespace p2pls::decade_server
