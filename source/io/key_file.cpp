#include "source/io/key_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "source/core/signed_chunk.hpp"

namespace p2pls::source::io {

std::string default_key_path(const std::string& channel) {
    if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
        return (std::filesystem::path(state) / "p2pls" / (channel + ".key")).string();
    }
    return "./" + channel + ".key";
}

namespace {

Result<LoadedKey> create_key(const std::string& path, std::string& why) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
    }
    if (sodium_init() < 0) {
        why = "libsodium failed to initialise";
        return make_error_code(Errc::io_error);
    }
    KeySeed seed{};
    randombytes_buf(seed.data(), seed.size());
    // O_EXCL: never overwrite a key that appeared meanwhile; 0600 from the start.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        why = "cannot create key file " + path + ": " + std::strerror(errno);
        return make_error_code(Errc::io_error);
    }
    const std::string text = format_key_file(seed);
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    LoadedKey loaded;
    loaded.keys = keypair_from_seed(seed);
    loaded.created = true;
    sodium_memzero(seed.data(), seed.size());  // the key pair keeps what is needed
    if (!ok) {
        why = "cannot write key file " + path;
        return make_error_code(Errc::io_error);
    }
    return loaded;
}

}  // namespace

Result<LoadedKey> load_or_create_key(const std::string& path, std::string& why) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return create_key(path, why);
        }
        why = "cannot read key file " + path + ": " + std::strerror(errno);
        return make_error_code(Errc::io_error);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = "cannot read key file " + path;
        return make_error_code(Errc::io_error);
    }
    std::ostringstream text;
    text << in.rdbuf();
    const auto seed = parse_key_file(text.str().substr(0, 4096));
    if (!seed) {
        why = "key file " + path + " does not hold a 64-hex-digit Ed25519 seed";
        return make_error_code(Errc::key_invalid);
    }
    LoadedKey loaded;
    loaded.keys = keypair_from_seed(*seed);
    loaded.too_open = (st.st_mode & 077) != 0;
    return loaded;
}

}  // namespace p2pls::source::io
