#include "decade-server/store/dir_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <charconv>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/posix/fd.hpp"
#include "decade-module/core/object_name.hpp"

namespace p2pls::decade_server {
namespace fs = std::filesystem;

namespace {

using posix::Fd;

bool fsync_dir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd.ok() && ::fsync(fd.get()) == 0;
}

// Reads a whole file, at most `cap` bytes (a longer file fails).
std::optional<std::string> read_file(const fs::path& path, std::uint64_t cap) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) {
        return std::nullopt;
    }
    std::string out;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::nullopt;
        }
        if (n == 0) {
            return out;
        }
        if (out.size() + static_cast<std::size_t>(n) > cap) {
            return std::nullopt;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::string secret_hex(const decade::LockerSecret& s) {
    std::string out(s.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), s.data(), s.size());
    out.pop_back();
    return out;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> parts;
    while (!line.empty()) {
        const auto sp = line.find(' ');
        parts.push_back(line.substr(0, sp));
        line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    }
    return parts;
}

constexpr std::uint64_t kRecordCap = 1024;
constexpr std::uint64_t kBlobCap = 1ULL << 32;

}  // namespace

DirStore::DirStore(fs::path dir) : dir_(std::move(dir)) {}

std::unique_ptr<DirStore> DirStore::open(const fs::path& dir, RecoveredState& recovered) {
    std::error_code ec;
    for (const char* sub : {"blobs", "refs", "lockers", "tmp"}) {
        fs::create_directories(dir / sub, ec);
        if (ec) {
            throw std::runtime_error("cannot create " + (dir / sub).string() + ": " + ec.message());
        }
    }
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
    std::unique_ptr<DirStore> store(new DirStore(dir));
    store->load(recovered);
    return store;
}

fs::path DirStore::blob_path(const BlobHash& hash) const {
    const std::string hex = to_hex(hash);
    return dir_ / "blobs" / hex.substr(0, 2) / hex;
}

fs::path DirStore::ref_path(const std::string& locker, const std::string& name) const {
    return dir_ / "refs" / locker / name;
}

Result<void> DirStore::write_atomically(const fs::path& target, std::string_view bytes) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    const fs::path temp =
        dir_ / "tmp" / (std::to_string(::getpid()) + "-" + std::to_string(next_temp_++));
    {
        Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd.ok()) {
            return Errc::io_error;
        }
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                ::unlink(temp.c_str());
                return Errc::io_error;
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(fd.get()) != 0) {
            ::unlink(temp.c_str());
            return Errc::io_error;
        }
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        ::unlink(temp.c_str());
        return Errc::io_error;
    }
    if (!fsync_dir(target.parent_path())) {
        return Errc::io_error;
    }
    return {};
}

Result<void> DirStore::put_blob(const BlobHash& hash, const Blob& blob) {
    const fs::path path = blob_path(hash);
    std::error_code ec;
    if (fs::exists(path, ec) && fs::file_size(path, ec) == blob->size()) {
        return {};
    }
    return write_atomically(path, *blob);
}

Result<Blob> DirStore::get_blob(const BlobHash& hash, std::uint64_t size) {
    auto bytes = read_file(blob_path(hash), size);
    if (!bytes) {
        return Errc::store_corrupt;
    }
    if (bytes->size() != size) {
        return Errc::store_corrupt;
    }
    return std::make_shared<const std::string>(std::move(*bytes));
}

void DirStore::remove_blob(const BlobHash& hash) {
    std::error_code ec;
    fs::remove(blob_path(hash), ec);
}

Result<void> DirStore::save_ref(const RefRecord& ref) {
    std::ostringstream line;
    line << "p2pls-ref 1 " << to_hex(ref.hash) << ' ' << ref.size << ' ' << ref.expiry_s << '\n';
    return write_atomically(ref_path(ref.locker, ref.name), line.str());
}

void DirStore::remove_ref(const std::string& locker, const std::string& name) {
    std::error_code ec;
    fs::remove(ref_path(locker, name), ec);
}

Result<void> DirStore::save_locker(const LockerRecord& locker) {
    std::ostringstream line;
    line << "p2pls-locker 1 " << secret_hex(locker.secret) << ' ' << locker.quota_bytes << ' '
         << locker.bandwidth_share << '\n';
    return write_atomically(dir_ / "lockers" / locker.id, line.str());
}

void DirStore::load(RecoveredState& recovered) {
    std::error_code ec;
    // Leftovers of writes that never reached their rename.
    for (const auto& entry : fs::directory_iterator(dir_ / "tmp", ec)) {
        fs::remove(entry.path(), ec);
    }
    for (const auto& entry : fs::directory_iterator(dir_ / "lockers", ec)) {
        const std::string id = entry.path().filename().string();
        const auto text = read_file(entry.path(), kRecordCap);
        LockerRecord record;
        record.id = id;
        bool ok = text && decade::is_valid_locker_id(id) && !text->empty() && text->back() == '\n';
        if (ok) {
            const auto parts = split(std::string_view(*text).substr(0, text->size() - 1));
            std::size_t bin_len = 0;
            ok = parts.size() == 5 && parts[0] == "p2pls-locker" && parts[1] == "1" &&
                 parts[2].size() == 64 &&
                 sodium_hex2bin(record.secret.data(), record.secret.size(), parts[2].data(),
                                parts[2].size(), nullptr, &bin_len, nullptr) == 0 &&
                 bin_len == record.secret.size() && parse_number(parts[3], record.quota_bytes) &&
                 parse_number(parts[4], record.bandwidth_share) && record.bandwidth_share >= 1;
        }
        if (!ok) {
            fs::remove(entry.path(), ec);
            ++recovered.dropped_corrupt;
            continue;
        }
        recovered.lockers.push_back(std::move(record));
    }
    // Blobs: each must hash to its own name.
    std::map<BlobHash, std::uint64_t> blobs;
    for (const auto& entry : fs::recursive_directory_iterator(dir_ / "blobs", ec)) {
        if (!entry.is_regular_file(ec)) {
            continue;
        }
        const auto hash = hash_from_hex(entry.path().filename().string());
        const auto bytes = hash ? read_file(entry.path(), kBlobCap) : std::nullopt;
        if (!bytes || hash_content(*bytes) != *hash) {
            fs::remove(entry.path(), ec);
            ++recovered.dropped_corrupt;
            continue;
        }
        blobs.emplace(*hash, bytes->size());
    }
    // References: each must parse and point at a good blob of the same size.
    std::set<BlobHash> referenced;
    for (const auto& entry : fs::recursive_directory_iterator(dir_ / "refs", ec)) {
        if (!entry.is_regular_file(ec)) {
            continue;
        }
        RefRecord ref;
        ref.name = entry.path().filename().string();
        ref.locker = entry.path().parent_path().filename().string();
        const auto text = read_file(entry.path(), kRecordCap);
        bool ok = text && entry.path().parent_path().parent_path() == dir_ / "refs" &&
                  decade::is_valid_locker_id(ref.locker) &&
                  decade::is_valid_object_name(ref.name) && !text->empty() && text->back() == '\n';
        if (ok) {
            const auto parts = split(std::string_view(*text).substr(0, text->size() - 1));
            std::optional<BlobHash> hash;
            ok = parts.size() == 5 && parts[0] == "p2pls-ref" && parts[1] == "1" &&
                 (hash = hash_from_hex(parts[2])).has_value() && parse_number(parts[3], ref.size) &&
                 parse_number(parts[4], ref.expiry_s);
            if (ok) {
                ref.hash = *hash;
                const auto blob = blobs.find(ref.hash);
                ok = blob != blobs.end() && blob->second == ref.size;
            }
        }
        if (!ok) {
            fs::remove(entry.path(), ec);
            ++recovered.dropped_corrupt;
            continue;
        }
        referenced.insert(ref.hash);
        recovered.refs.push_back(std::move(ref));
    }
    for (const auto& [hash, size] : blobs) {
        if (!referenced.contains(hash)) {
            remove_blob(hash);  // an orphan: a crash between blob write and ref write
        }
    }
}

}  // namespace p2pls::decade_server
