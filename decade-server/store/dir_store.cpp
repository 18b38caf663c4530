#include "decade-server/store/dir_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "decade-server/core/store_records.hpp"

namespace p2pls::decade_server {
namespace fs = std::filesystem;

namespace {

using posix::Fd;

constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;

// What an errno means to the core: ENOENT alone says "not there".
Errc kind_of(int error) {
    return error == ENOENT ? Errc::not_found : Errc::io_error;
}

Result<Fd> open_dir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.ok()) {
        return kind_of(errno);
    }
    return fd;
}

bool fsync_fd(const Fd& fd) {
    return ::fsync(fd.get()) == 0;
}

// Reads from `fd` until EOF, at most `cap` bytes; over the cap gives store_corrupt, a read
// error io_error.
Result<std::string> read_all(const Fd& fd, std::uint64_t cap) {
    std::string out;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Errc::io_error;
        }
        if (n == 0) {
            return out;
        }
        if (out.size() + static_cast<std::size_t>(n) > cap) {
            return Errc::store_corrupt;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

Result<std::string> read_file(const fs::path& path, std::uint64_t cap) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.ok()) {
        return kind_of(errno);
    }
    return read_all(fd, cap);
}

// Hashes the whole file from its start without holding it: true when its bytes hash to
// `hash`. Errors (not a verdict) are io_error.
Result<bool> content_matches(const Fd& fd, const BlobHash& hash) {
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        return Errc::io_error;
    }
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, hash.size());
    unsigned char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Errc::io_error;
        }
        if (n == 0) {
            break;
        }
        crypto_generichash_update(&state, buf, static_cast<std::size_t>(n));
    }
    BlobHash got{};
    crypto_generichash_final(&state, got.data(), got.size());
    return got == hash;
}

// Unlinks `path` and fsyncs its folder, so that the removal survives a crash. A file
// already gone is fine. The folder is opened first: out of descriptors, nothing changes.
Result<void> remove_durably(const fs::path& path) {
    auto parent = open_dir(path.parent_path());
    if (!parent) {
        return Errc::io_error;
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Errc::io_error;
    }
    if (!fsync_fd(*parent)) {
        return Errc::io_error;
    }
    return {};
}

// The entries of `dir` (not recursive). Throws when the folder cannot be listed: a
// partial listing would make live blobs look like orphans.
std::vector<fs::directory_entry> list(const fs::path& dir) {
    std::vector<fs::directory_entry> out;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        out.push_back(*it);
    }
    if (ec) {
        throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
    }
    return out;
}

fs::file_type type_of(const fs::directory_entry& entry) {
    std::error_code ec;
    return entry.symlink_status(ec).type();
}

// The store's lock, or a start-up error naming the server that holds it.
Fd lock_store(const fs::path& dir) {
    const fs::path path = dir / "lock";
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode));
    if (!fd.ok()) {
        throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        if (error == EWOULDBLOCK) {
            std::string holder = "unknown pid";
            if (auto text = read_file(path, 32); text && !text->empty()) {
                holder = "pid " + text->substr(0, text->find('\n'));
            }
            throw std::runtime_error(
                dir.string() + " is in use by another decade-server (" + holder +
                "); two servers on one store would overwrite each other's records");
        }
        throw std::runtime_error("cannot lock " + path.string() + ": " + std::strerror(error));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    return fd;
}

// Creates `dir` and its missing parents, each fsync'd into its parent.
void create_root(const fs::path& dir) {
    fs::path at;
    for (const auto& part : dir) {
        at /= part;
        if (::mkdir(at.c_str(), kDirMode) == 0) {
            auto parent = open_dir(at.parent_path().empty() ? fs::path(".") : at.parent_path());
            if (!parent || !fsync_fd(*parent)) {
                throw std::runtime_error("cannot fsync the parent of " + at.string());
            }
        } else if (errno != EEXIST) {
            throw std::runtime_error("cannot create " + at.string() + ": " + std::strerror(errno));
        }
    }
}

constexpr std::uint64_t kMaxBlobBytes = kMaxRecordedObjectBytes;

}  // namespace

DirStore::DirStore(fs::path dir, Fd lock, std::size_t open_blobs)
    : dir_(std::move(dir)), lock_(std::move(lock)), open_blobs_(open_blobs) {}

std::unique_ptr<DirStore> DirStore::open(const fs::path& dir, RecoveredState& recovered,
                                         std::size_t open_blobs) {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
    create_root(dir);
    // Lock before anything else: the other server's temp files are not leftovers.
    Fd lock = lock_store(dir);
    std::unique_ptr<DirStore> store(new DirStore(dir, std::move(lock), open_blobs));
    for (const char* sub : {"blobs", "refs", "lockers", "tmp"}) {
        if (!store->make_dirs(dir / sub)) {
            throw std::runtime_error("cannot create " + (dir / sub).string());
        }
    }
    // Secrets live in lockers/: owner-only, also where an older version made it 0755.
    ::chmod((dir / "lockers").c_str(), kDirMode);
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

fs::path DirStore::locker_path(const std::string& locker) const {
    return dir_ / "lockers" / locker;
}

Result<void> DirStore::make_dirs(const fs::path& dir) {
    const fs::path relative = dir.lexically_relative(dir_);
    if (relative.empty() || *relative.begin() == "..") {
        return Errc::io_error;
    }
    fs::path at = dir_;
    for (const auto& part : relative) {
        if (part == ".") {
            continue;
        }
        const fs::path parent = at;
        at /= part;
        if (::mkdir(at.c_str(), kDirMode) == 0) {
            // A new folder is only durable once its parent's entry for it is.
            auto parent_fd = open_dir(parent);
            if (!parent_fd || !fsync_fd(*parent_fd)) {
                return Errc::io_error;
            }
        } else if (errno != EEXIST) {
            return Errc::io_error;
        }
    }
    return {};
}

Result<void> DirStore::write_atomically(const fs::path& target, std::string_view bytes) {
    if (auto made = make_dirs(target.parent_path()); !made) {
        return made;
    }
    // Everything that can fail for want of descriptors is opened before the rename, so
    // that a failure changes nothing.
    auto parent = open_dir(target.parent_path());
    if (!parent) {
        return Errc::io_error;
    }
    const fs::path temp =
        dir_ / "tmp" / (std::to_string(::getpid()) + "-" + std::to_string(next_temp_++));
    {
        Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
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
        if (!fsync_fd(fd)) {
            ::unlink(temp.c_str());
            return Errc::io_error;
        }
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        ::unlink(temp.c_str());
        return Errc::io_error;
    }
    if (!fsync_fd(*parent)) {
        return Errc::io_error;
    }
    return {};
}

Result<void> DirStore::put_blob(const BlobHash& hash, const Blob& blob) {
    const fs::path path = blob_path(hash);
    // Deduplicate by content: a file of the right size may still hold other bytes (a torn
    // copy from outside, bit rot), and keeping it would acknowledge bytes we do not have.
    if (Fd existing(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)); existing.ok()) {
        if (auto same = content_matches(existing, hash); same && *same) {
            return {};
        }
    }
    open_blobs_.erase(hash);  // bytes that failed their hash: never served again
    return write_atomically(path, *blob);
}

Result<std::shared_ptr<const Fd>> DirStore::blob_file(const BlobHash& hash, std::uint64_t size) {
    if (const OpenBlobs::Entry* open = open_blobs_.find(hash); open && open->size == size) {
        return open->fd;
    }
    const fs::path path = blob_path(hash);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    int error = fd.ok() ? 0 : errno;
    if ((error == EMFILE || error == ENFILE) && open_blobs_.size() > 0) {
        // Out of descriptors: the files kept open give some back, and this one is tried
        // once more. Still none, and the core answers 503 (a transient failure).
        open_blobs_.shed();
        fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        error = fd.ok() ? 0 : errno;
    }
    if (error != 0) {
        return kind_of(error);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return Errc::io_error;
    }
    if (static_cast<std::uint64_t>(st.st_size) != size) {
        // Not the size the reference recorded: only the hash can say whether the bytes are
        // bad. Bytes that do hash to their name but not to the recorded size mean an edited
        // record: keep both and serve nothing rather than guess.
        auto same = content_matches(fd, hash);
        if (!same) {
            return same.error();
        }
        return *same ? Errc::io_error : Errc::store_corrupt;
    }
    auto shared = std::make_shared<const Fd>(std::move(fd));
    open_blobs_.insert(hash, {shared, size});
    return shared;
}

Result<Blob> DirStore::get_blob(const BlobHash& hash, std::uint64_t size) {
    if (size > kMaxBlobBytes) {
        return Errc::io_error;  // no reference records more: refuse to allocate it
    }
    std::string bytes(size, '\0');
    // Twice at most: a file kept open that turns out shorter is let go and opened afresh,
    // which checks its size (and, when it differs, its hash) again.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto fd = blob_file(hash, size);
        if (!fd) {
            return fd.error();
        }
        std::uint64_t got = 0;
        while (got < size) {
            const ssize_t n =
                ::pread((*fd)->get(), bytes.data() + got, size - got, static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            got += static_cast<std::uint64_t>(n);
        }
        if (got == size) {
            return std::make_shared<const std::string>(std::move(bytes));
        }
        open_blobs_.erase(hash);
    }
    return Errc::io_error;  // a read error: not a verdict on the bytes
}

Result<std::optional<BlobFile>> DirStore::open_blob(const BlobHash& hash, std::uint64_t size) {
    auto fd = blob_file(hash, size);
    if (!fd) {
        return fd.error();
    }
    return std::optional<BlobFile>(BlobFile{std::move(*fd), size});
}

void DirStore::remove_blob(const BlobHash& hash) {
    open_blobs_.erase(hash);
    (void)remove_durably(blob_path(hash));  // an orphan left behind is deleted at start-up
}

Result<void> DirStore::save_ref(const RefRecord& ref) {
    return write_atomically(ref_path(ref.locker, ref.name), format_ref_record(ref));
}

Result<void> DirStore::remove_ref(const std::string& locker, const std::string& name) {
    return remove_durably(ref_path(locker, name));
}

Result<void> DirStore::save_locker(const LockerRecord& locker) {
    return write_atomically(locker_path(locker.id), format_locker_record(locker));
}

void DirStore::load(RecoveredState& recovered) {
    auto drop = [&](const fs::path& path) {
        (void)remove_durably(path);
        ++recovered.dropped_corrupt;
    };
    // Leftovers of writes that never reached their rename.
    for (const auto& entry : list(dir_ / "tmp")) {
        std::error_code ec;
        fs::remove_all(entry.path(), ec);
    }

    for (const auto& entry : list(dir_ / "lockers")) {
        if (type_of(entry) != fs::file_type::regular) {
            continue;
        }
        const auto text = read_file(entry.path(), kMaxRecordBytes + 1);
        if (!text && text.error() != Errc::store_corrupt) {
            ++recovered.unreadable;
            continue;
        }
        auto record = text ? parse_locker_record(entry.path().filename().string(), *text)
                           : Result<LockerRecord>(Errc::store_corrupt);
        if (!record) {
            drop(entry.path());
            continue;
        }
        // Records from before secrets were written owner-only.
        ::chmod(entry.path().c_str(), kFileMode);
        recovered.lockers.push_back(std::move(*record));
    }

    // Blobs: each must sit in its prefix folder and hash to its own name. The size is
    // nullopt when not even stat() worked.
    std::map<BlobHash, std::optional<std::uint64_t>> blobs;
    for (const auto& prefix : list(dir_ / "blobs")) {
        if (type_of(prefix) != fs::file_type::directory) {
            drop(prefix.path());
            continue;
        }
        for (const auto& entry : list(prefix.path())) {
            const std::string name = entry.path().filename().string();
            const auto hash = hash_from_hex(name);
            if (type_of(entry) != fs::file_type::regular || !hash ||
                name.compare(0, 2, prefix.path().filename().string()) != 0) {
                if (type_of(entry) == fs::file_type::regular) {
                    drop(entry.path());
                }
                continue;
            }
            Fd fd(::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
            const auto same = fd.ok() ? content_matches(fd, *hash) : Result<bool>(Errc::io_error);
            if (same && !*same) {
                drop(entry.path());
                continue;
            }
            if (!same) {
                ++recovered.unreadable;  // unverified, not bad: kept with its references
            }
            std::error_code ec;
            const auto size = fs::file_size(entry.path(), ec);
            blobs.emplace(*hash, ec ? std::nullopt : std::optional<std::uint64_t>(size));
        }
    }

    // References: each must parse and point at a blob of the same size.
    std::set<BlobHash> referenced;
    bool every_ref_read = true;
    for (const auto& folder : list(dir_ / "refs")) {
        if (type_of(folder) != fs::file_type::directory) {
            drop(folder.path());
            continue;
        }
        const std::string locker = folder.path().filename().string();
        for (const auto& entry : list(folder.path())) {
            if (type_of(entry) != fs::file_type::regular) {
                continue;
            }
            const auto text = read_file(entry.path(), kMaxRecordBytes + 1);
            if (!text && text.error() != Errc::store_corrupt) {
                ++recovered.unreadable;
                every_ref_read = false;  // its blob must not be taken for an orphan
                continue;
            }
            auto ref = text ? parse_ref_record(locker, entry.path().filename().string(), *text)
                            : Result<RefRecord>(Errc::store_corrupt);
            const auto blob = ref ? blobs.find(ref->hash) : blobs.end();
            if (!ref || blob == blobs.end() || (blob->second && *blob->second != ref->size)) {
                drop(entry.path());
                continue;
            }
            referenced.insert(ref->hash);
            recovered.refs.push_back(std::move(*ref));
        }
    }
    if (!every_ref_read) {
        return;
    }
    for (const auto& [hash, size] : blobs) {
        if (!referenced.contains(hash)) {
            remove_blob(hash);  // an orphan: a crash between blob write and ref write
        }
    }
}

}  // namespace p2pls::decade_server
