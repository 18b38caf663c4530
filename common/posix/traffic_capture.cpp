#include "common/posix/traffic_capture.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

namespace p2pls::posix {
namespace {

const char* capture_dir() noexcept {
    static const char* const dir = [] {
        const char* d = std::getenv("P2PLS_CAPTURE_DIR");
        return d != nullptr && *d != '\0' ? d : nullptr;
    }();
    return dir;
}

}  // namespace

bool capturing() noexcept {
    return capture_dir() != nullptr;
}

void capture_received(std::string_view kind, std::string_view bytes) noexcept {
    if (!capturing()) {
        return;
    }
    // Several threads may receive at once (the tests run servers in process).
    static std::mutex mutex;
    static std::map<std::string, unsigned, std::less<>> counts;
    try {
        unsigned n = 0;
        {
            const std::lock_guard lock(mutex);
            auto it = counts.try_emplace(std::string(kind), 0).first;
            if (it->second >= kMaxCaptures) {
                return;
            }
            n = ++it->second;
        }
        const std::filesystem::path dir = std::filesystem::path(capture_dir()) / kind;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        const std::string name = std::string(program_invocation_short_name) + "-" +
                                 std::to_string(::getpid()) + "-" + std::to_string(n);
        std::ofstream out(dir / name, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    } catch (...) {
        // Out of memory or a bad path: the capture is lost, the process carries on.
    }
}

}  // namespace p2pls::posix
