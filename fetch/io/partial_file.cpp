#include "fetch/io/partial_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace p2pls::fetch {

namespace {

std::string error_text(std::string_view what, const std::filesystem::path& path) {
    return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

std::optional<PartialFile> PartialFile::open(const std::filesystem::path& output,
                                             std::uint64_t size, std::string& why) {
    std::filesystem::path part = output;
    part += ".part";
    posix::Fd fd(::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) {
        why = error_text("cannot open", part);
        return std::nullopt;
    }
    // Two runs for the same output would write over each other's slices and rename the
    // file under each other: the second one stops here. The lock goes with the process.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        why = errno == EWOULDBLOCK
                  ? part.string() + " is being written by another p2pls-fetch (wait for it to end)"
                  : error_text("cannot lock", part);
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        why = error_text("cannot stat", part);
        return std::nullopt;
    }
    // A longer file is from another download of the same name: what lies past the end
    // would end up in the output.
    if (static_cast<std::uint64_t>(st.st_size) != size &&
        ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        why = error_text("cannot size", part);
        return std::nullopt;
    }
    PartialFile file(std::move(fd), output, std::move(part));
    file.resumed_ = st.st_size > 0;
    return file;
}

std::optional<std::string> PartialFile::read(std::uint64_t offset, std::size_t size,
                                             std::string& why) {
    std::string out(size, '\0');
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n =
            ::pread(fd_.get(), out.data() + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            why = n == 0 ? part_.string() + ": shorter than expected"
                         : error_text("cannot read", part_);
            return std::nullopt;
        }
        got += static_cast<std::size_t>(n);
    }
    return out;
}

bool PartialFile::write(std::uint64_t offset, std::string_view bytes, std::string& why) {
    std::size_t put = 0;
    while (put < bytes.size()) {
        const ssize_t n = ::pwrite(fd_.get(), bytes.data() + put, bytes.size() - put,
                                   static_cast<off_t>(offset + put));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            why = error_text("cannot write", part_);
            return false;
        }
        put += static_cast<std::size_t>(n);
    }
    return true;
}

bool PartialFile::finish(std::string& why) {
    if (::fsync(fd_.get()) != 0) {
        why = error_text("cannot sync", part_);
        return false;
    }
    if (::rename(part_.c_str(), output_.c_str()) != 0) {
        why = "cannot rename " + part_.string() + " to " + output_.string() + ": " +
              std::strerror(errno);
        return false;
    }
    std::filesystem::path folder = output_.parent_path();
    if (folder.empty()) {
        folder = ".";
    }
    // The rename is durable once the folder is synced; failing that is not an error for
    // the user, whose file is complete and in place.
    if (const posix::Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir) {
        ::fsync(dir.get());
    }
    return true;
}

std::optional<std::string> file_sha256(const std::filesystem::path& path, std::string& why) {
    const posix::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        why = error_text("cannot open", path);
        return std::nullopt;
    }
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<unsigned char> buffer(1 << 20);
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            why = error_text("cannot read", path);
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        crypto_hash_sha256_update(&state, buffer.data(), static_cast<std::size_t>(n));
    }
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&state, digest.data());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data());
}

}  // namespace p2pls::fetch
