#include "source/io/chunk_recorder.hpp"

#include <cstdio>
#include <filesystem>

#include "source/core/signed_chunk.hpp"

namespace p2pls::source::io {

std::string chunk_file_name(std::uint64_t seq) {
    char name[32];
    std::snprintf(name, sizeof name, "%06llu.ts", static_cast<unsigned long long>(seq));
    return name;
}

ChunkRecorder::ChunkRecorder(std::string dir, std::ofstream index)
    : dir_(std::move(dir)), index_(std::move(index)) {}

Result<ChunkRecorder> ChunkRecorder::open(const std::string& dir, const PublicKey& public_key,
                                          const SourceEpoch& epoch, std::string& why) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!std::filesystem::is_directory(dir)) {
        why = "cannot create record folder " + dir;
        return make_error_code(Errc::io_error);
    }
    {
        std::ofstream key(std::filesystem::path(dir) / "public_key.hex", std::ios::trunc);
        key << to_hex(public_key) << "\n";
        std::ofstream run(std::filesystem::path(dir) / "epoch.hex", std::ios::trunc);
        run << to_hex(epoch) << "\n";
        if (!key || !run) {
            why = "cannot write in record folder " + dir;
            return make_error_code(Errc::io_error);
        }
    }
    const auto index_path = std::filesystem::path(dir) / "index.tsv";
    const bool fresh = !std::filesystem::exists(index_path);
    std::ofstream index(index_path, std::ios::app);
    if (!index) {
        why = "cannot write " + index_path.string();
        return make_error_code(Errc::io_error);
    }
    if (fresh) {
        index << "seq\ttimestamp_us\tduration_us\tsize\tkey_start\tended_by\tsignature\n";
        index.flush();
    }
    return ChunkRecorder(dir, std::move(index));
}

Result<void> ChunkRecorder::write(const wire::Chunk& chunk, bool key_start, CutReason ended_by) {
    const auto path = std::filesystem::path(dir_) / chunk_file_name(chunk.seq());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(chunk.payload().data(), static_cast<std::streamsize>(chunk.payload().size()));
    out.close();
    if (!out) {
        return make_error_code(Errc::io_error);
    }
    index_ << chunk.seq() << '\t' << chunk.timestamp_us() << '\t' << chunk.duration_us() << '\t'
           << chunk.payload().size() << '\t' << (key_start ? 1 : 0) << '\t' << to_string(ended_by)
           << '\t' << to_hex(chunk.signature()) << '\n';
    index_.flush();
    if (!index_) {
        return make_error_code(Errc::io_error);
    }
    return {};
}

}  // namespace p2pls::source::io
