#include "common/posix/atomic_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/posix/fd.hpp"

namespace p2pls::posix {
namespace {

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    // A unique temp name, so two writers of the same target never share a temp file.
    std::string tmp = path.string() + ".tmp.XXXXXX";
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) {
        return Errc::io_error;
    }
    // mkostemp creates the file 0600; a port or report file is for every reader.
    const bool written = ::fchmod(fd.get(), 0644) == 0 && write_all(fd.get(), text);
    const bool closed = ::close(fd.release()) == 0;
    if (!written || !closed || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return Errc::io_error;
    }
    return {};
}

Result<void> write_port_file(const std::filesystem::path& path, std::uint16_t port) {
    return write_file_atomically(path, std::to_string(port) + "\n");
}

}  // namespace p2pls::posix
