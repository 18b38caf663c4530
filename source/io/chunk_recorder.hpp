// --record DIR: every chunk as DIR/<seq, 6+ digits>.ts, plus DIR/index.tsv with one line
// per chunk (seq, timestamp_us, duration_us, size, key_start, ended_by, signature hex)
// and DIR/public_key.hex and DIR/epoch.hex (the run's source epoch, which every chunk
// signature covers), so a recording can be checked and replayed offline.
#pragma once

#include <fstream>
#include <string>

#include "common/core/chunk_signature.hpp"
#include "common/core/errc.hpp"
#include "p2pls/peer.pb.h"
#include "source/core/chunker.hpp"

namespace p2pls::source::io {

class ChunkRecorder {
  public:
    // Creates the folder if needed; fails with io_error and `why` when it cannot.
    static Result<ChunkRecorder> open(const std::string& dir, const PublicKey& public_key,
                                      const SourceEpoch& epoch, std::string& why);

    // Writes the chunk file and its index line (flushed, so a reader sees whole lines).
    Result<void> write(const wire::Chunk& chunk, bool key_start, CutReason ended_by);

    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

  private:
    ChunkRecorder(std::string dir, std::ofstream index);

    std::string dir_;
    std::ofstream index_;
};

// "000123.ts"
std::string chunk_file_name(std::uint64_t seq);

}  // namespace p2pls::source::io
