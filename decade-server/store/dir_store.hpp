// Blobs and records in a directory that survives a restart (`decade-server --store DIR`).
//
// Layout:
//   DIR/blobs/ab/abcd…   one file per blob, named by the hex BLAKE2b-256 of its bytes
//   DIR/refs/LOCKER/NAME "p2pls-ref 1 <hash> <size> <expiry_s>\n"
//   DIR/lockers/LOCKER   "p2pls-locker 1 <secret hex> <quota_bytes> <share>\n"
//   DIR/tmp/             files being written
// Every write is crash-safe: write a temp file, fsync it, rename it into place, fsync
// the directory. A crash leaves either the old file or the new one, and stray temp files
// that the next start-up deletes.
//
// open() checks everything before the server serves a byte: a blob whose content does
// not hash to its name (bit rot, truncation, a hand edit) is deleted, and so is every
// reference to it, any record that does not parse, and any blob nobody references.
#pragma once

#include <filesystem>
#include <map>

#include "decade-server/core/blob_store.hpp"

namespace p2pls::decade_server {

class DirStore final : public BlobStore {
  public:
    // Creates the layout if needed, checks what is there and returns what survived.
    // Throws std::runtime_error when the directory cannot be used (a start-up failure).
    static std::unique_ptr<DirStore> open(const std::filesystem::path& dir,
                                          RecoveredState& recovered);

    Result<void> put_blob(const BlobHash& hash, const Blob& blob) override;
    Result<Blob> get_blob(const BlobHash& hash, std::uint64_t size) override;
    void remove_blob(const BlobHash& hash) override;
    Result<void> save_ref(const RefRecord& ref) override;
    void remove_ref(const std::string& locker, const std::string& name) override;
    Result<void> save_locker(const LockerRecord& locker) override;

    [[nodiscard]] std::filesystem::path blob_path(const BlobHash& hash) const;
    [[nodiscard]] std::filesystem::path ref_path(const std::string& locker,
                                                 const std::string& name) const;

  private:
    explicit DirStore(std::filesystem::path dir);
    Result<void> write_atomically(const std::filesystem::path& target, std::string_view bytes);
    void load(RecoveredState& recovered);

    std::filesystem::path dir_;
    std::uint64_t next_temp_ = 0;
};

}  // namespace p2pls::decade_server
