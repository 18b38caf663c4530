// A BlobStore that fails on demand, in front of a MemoryStore: every blob read fails with
// `read_error` while it is set (what a directory store reports for EMFILE, EIO, ENOENT or a
// hash mismatch), and the write numbered `fail_write_at` from arming fails with io_error
// (Beast's fail-at-step-n pattern: run an operation for n = 0, 1, 2, ... until it passes).
#pragma once

#include <optional>

#include "decade-server/core/blob_store.hpp"
#include "decade-server/store/memory_store.hpp"

namespace p2pls::decade_server {

class FaultyStore final : public BlobStore {
  public:
    std::optional<Errc> read_error;

    // The n-th write from now (put_blob, save_ref, remove_ref, save_locker; 0 = the next)
    // fails; writes before it succeed.
    void fail_write_at(int n) {
        fail_at_ = n;
        writes_ = 0;
    }
    void heal() {
        read_error.reset();
        fail_at_ = -1;
    }
    [[nodiscard]] int writes() const { return writes_; }
    [[nodiscard]] std::size_t blobs() const { return inner_.size(); }

    Result<void> put_blob(const BlobHash& hash, const Blob& blob) override {
        if (write_fails()) {
            return Errc::io_error;
        }
        return inner_.put_blob(hash, blob);
    }
    Result<Blob> get_blob(const BlobHash& hash, std::uint64_t size) override {
        if (read_error) {
            return *read_error;
        }
        return inner_.get_blob(hash, size);
    }
    void remove_blob(const BlobHash& hash) override { inner_.remove_blob(hash); }
    Result<void> save_ref(const RefRecord&) override { return write_result(); }
    Result<void> remove_ref(const std::string&, const std::string&) override {
        return write_result();
    }
    Result<void> save_locker(const LockerRecord&) override { return write_result(); }

  private:
    bool write_fails() { return writes_++ == fail_at_; }
    Result<void> write_result() {
        if (write_fails()) {
            return Errc::io_error;
        }
        return {};
    }

    MemoryStore inner_;
    int fail_at_ = -1;
    int writes_ = 0;
};

}  // namespace p2pls::decade_server
