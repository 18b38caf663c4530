#include "common/posix/small_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/posix/fd.hpp"

namespace p2pls::posix {

std::optional<std::string> read_small_file(const std::filesystem::path& path, std::string& why,
                                           std::uint64_t cap) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        why = std::string("cannot read: ") + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            why = std::string("cannot read: ") + std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) {
            return text;
        }
        if (text.size() + static_cast<std::uint64_t>(n) > cap) {
            why = "larger than " + std::to_string(cap) + " bytes";
            return std::nullopt;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace p2pls::posix
