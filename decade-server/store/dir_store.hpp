// Blobs and records in a directory that survives a restart (`decade-server --store DIR`).
//
// Layout (folders 0700, files 0600: a locker record holds the locker's secret):
//   DIR/lock             held with flock() while a server uses the store; holds its pid
//   DIR/blobs/ab/abcd…   one file per blob, named by the hex BLAKE2b-256 of its bytes
//   DIR/refs/LOCKER/NAME a reference record (decade-server/core/store_records.hpp)
//   DIR/lockers/LOCKER   a locker record
//   DIR/tmp/             files being written
//
// Durability. Every write is write-temp, fsync, rename, fsync the folder; every new folder
// and every removal is fsync'd in its parent too. The core writes a blob before the
// reference to it and answers only after both, so a crash at any point leaves every
// acknowledged object whole, plus at most an orphan blob and temp files, which the next
// start-up deletes.
//
// Errors are reported, never acted on: a read says whether the blob is not there
// (ENOENT), verified bad (its bytes do not hash to its name) or unreadable for now (any
// other errno), and the core decides (core/blob_store.hpp). The store deletes on its own
// only at start-up, and only what it has verified: a blob whose bytes do not hash to its
// name, a record that does not parse, a reference to a blob that is not there, an orphan.
// A file it cannot read then (EIO, EMFILE) is left alone for the next start.
//
// One server per store: open() takes an exclusive lock on DIR/lock and refuses a directory
// that another server holds.
//
// Reads go through a bounded cache of open blob files (OpenBlobs): a GET answers with the
// open file (open_blob), which the HTTP server sends with sendfile. A file's size is
// checked against the reference when it is opened; its bytes were verified on load, and
// a blob is never rewritten in place (a bad one is replaced by rename, and let go here).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/posix/fd.hpp"
#include "decade-server/core/blob_store.hpp"
#include "decade-server/store/open_blobs.hpp"

namespace p2pls::decade_server {

class DirStore final : public BlobStore {
  public:
    // Creates the layout if needed, locks it, checks what is there and returns what
    // survived. Throws std::runtime_error when the directory cannot be used (another
    // server holds it, it cannot be created or listed): a start-up failure.
    // `open_blobs`: how many blob files to keep open (0: none).
    static std::unique_ptr<DirStore> open(const std::filesystem::path& dir,
                                          RecoveredState& recovered,
                                          std::size_t open_blobs = kDefaultOpenBlobs);
    static constexpr std::size_t kDefaultOpenBlobs = 4096;

    Result<void> put_blob(const BlobHash& hash, const Blob& blob) override;
    Result<Blob> get_blob(const BlobHash& hash, std::uint64_t size) override;
    Result<std::optional<BlobFile>> open_blob(const BlobHash& hash, std::uint64_t size) override;
    void remove_blob(const BlobHash& hash) override;
    Result<void> save_ref(const RefRecord& ref) override;
    Result<void> remove_ref(const std::string& locker, const std::string& name) override;
    Result<void> save_locker(const LockerRecord& locker) override;

    [[nodiscard]] std::filesystem::path blob_path(const BlobHash& hash) const;
    [[nodiscard]] std::filesystem::path ref_path(const std::string& locker,
                                                 const std::string& name) const;
    [[nodiscard]] std::filesystem::path locker_path(const std::string& locker) const;

    // Blob files kept open now.
    [[nodiscard]] std::size_t open_blob_files() const noexcept { return open_blobs_.size(); }

  private:
    DirStore(std::filesystem::path dir, posix::Fd lock, std::size_t open_blobs);
    // The blob's file, open and of `size` bytes (from the cache, or opened and checked).
    Result<std::shared_ptr<const posix::Fd>> blob_file(const BlobHash& hash, std::uint64_t size);
    // Creates the folders from the store's root down to `dir` that are missing, each
    // fsync'd into its parent so that what is written inside them survives a crash.
    Result<void> make_dirs(const std::filesystem::path& dir);
    Result<void> write_atomically(const std::filesystem::path& target, std::string_view bytes);
    void load(RecoveredState& recovered);

    std::filesystem::path dir_;
    posix::Fd lock_;  // the flock()ed DIR/lock, released when the store goes
    OpenBlobs open_blobs_;
    std::uint64_t next_temp_ = 0;
};

}  // namespace p2pls::decade_server
