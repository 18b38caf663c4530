// Where p2pls-fetch writes: "<output>.part", sized to the whole file up front (sparse)
// and written slice by slice at each slice's offset, in whatever order slices arrive. An
// interrupted run leaves it in place; the next run reads it back slice by slice and
// keeps what still has the right hash, so resuming trusts no record of its own, only the
// bytes. When every slice is in, the file is synced and renamed to <output>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/posix/fd.hpp"

namespace p2pls::fetch {

class PartialFile {
  public:
    // Opens (or creates) `output`.part with room for `size` bytes; nullopt with `why`.
    static std::optional<PartialFile> open(const std::filesystem::path& output, std::uint64_t size,
                                           std::string& why);

    // `size` bytes at `offset`, or nullopt when they cannot be read (why).
    std::optional<std::string> read(std::uint64_t offset, std::size_t size, std::string& why);
    // Writes all of `bytes` at `offset`; false with why (a full disk: ENOSPC).
    bool write(std::uint64_t offset, std::string_view bytes, std::string& why);
    // Syncs the file, renames it to the output and syncs the folder; false with why.
    bool finish(std::string& why);

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return part_; }
    // The file was there from an earlier run, with something in it.
    [[nodiscard]] bool resumed() const noexcept { return resumed_; }

  private:
    PartialFile(posix::Fd fd, std::filesystem::path output, std::filesystem::path part)
        : fd_(std::move(fd)), output_(std::move(output)), part_(std::move(part)) {}

    posix::Fd fd_;
    std::filesystem::path output_;
    std::filesystem::path part_;
    bool resumed_ = false;
};

// Lower-case hex SHA-256 of the whole of `path`, read in pieces; nullopt with why.
std::optional<std::string> file_sha256(const std::filesystem::path& path, std::string& why);

}  // namespace p2pls::fetch
