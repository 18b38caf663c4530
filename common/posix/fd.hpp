// The one owner of a POSIX file descriptor: closes it exactly once, when the owner goes.
// Move-only, so a descriptor never has two owners; a moved-from Fd holds nothing (-1).
#pragma once

#include <unistd.h>

#include <utility>

namespace p2pls::posix {

class Fd {
  public:
    Fd() = default;
    // Takes ownership of `fd`; a negative value (a failed open/socket) owns nothing.
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() { reset(); }

    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    // The descriptor, still owned by this Fd (-1 when none).
    [[nodiscard]] int get() const noexcept { return fd_; }
    // True when a descriptor is owned.
    [[nodiscard]] bool ok() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Gives the descriptor up without closing it; the caller closes it.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the owned descriptor (if any) and takes `fd` instead.
    void reset(int fd = -1) noexcept {
        const int old = std::exchange(fd_, fd);
        if (old >= 0) {
            // The descriptor is gone after close() even when it reports EINTR on Linux,
            // so retrying would close someone else's.
            ::close(old);
        }
    }

  private:
    int fd_ = -1;
};

}  // namespace p2pls::posix
