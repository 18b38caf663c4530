// Per-chunk tracing for finding stalls (peer --trace, testbed --trace; docs/testbed.md
// "Reading a trace"). While on, the engine notes every step a chunk of its window takes:
// asked natively (of whom) or from DECADE (which holder's locker on which server, how big
// the batch), Busy answers, late requests, DECADE failures and timeouts, fallbacks, and
// the arrival. A chunk's steps are kept until it is played or skipped; they are handed
// out (take()) only for the chunks that matter: the ones startup waited for, the ones
// played after a stall, and the missed ones. The rest are forgotten.
//
// Bounded: kMaxSteps per chunk (later steps are counted as cut), chunks older than the
// window are dropped. Sans-IO: time comes with every call.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/core/ids.hpp"
#include "common/core/time.hpp"
#include "p2pls/report.pb.h"

namespace p2pls::peer {

class ChunkTrace {
  public:
    static constexpr std::size_t kMaxSteps = 32;

    // Times in the traces are since `origin` (the peer's join start).
    ChunkTrace(std::string peer_id, TimePoint origin);

    void note(ChunkSeq seq, TimePoint now, std::string what, std::string who,
              std::uint32_t batch = 0, std::string detail = {});

    // A DECADE request for `seqs` went out as fetch `id` (each seq's "decade-ask" is
    // noted by the caller): a timeout is then noted on each, and fetch_done finds them.
    void fetch_sent(std::uint64_t id, std::vector<ChunkSeq> seqs, TimePoint now);
    // The seqs of fetch `id` (forgotten after this), empty when unknown.
    std::vector<ChunkSeq> fetch_done(std::uint64_t id);
    // Notes "decade-timeout" on fetches older than `timeout` (once each).
    void expire_fetches(TimePoint now, Duration timeout);

    // The chunk was played (`late`: after a stall; `startup`: one startup waited for) or
    // skipped. Keeps its trace for take() when it matters, else forgets it.
    void played(ChunkSeq seq, TimePoint due, TimePoint now, bool late, bool startup);
    void missed(ChunkSeq seq, TimePoint due, TimePoint now);
    // Chunks before `base` left the window.
    void forget_before(ChunkSeq base);

    [[nodiscard]] std::vector<report::ChunkTrace> take();

  private:
    struct Entry {
        std::vector<report::TraceStep> steps;
        bool cut = false;
    };
    struct Fetch {
        std::vector<ChunkSeq> seqs;
        TimePoint sent{};
        bool expired = false;
    };

    [[nodiscard]] double since(TimePoint t) const;
    void finish(ChunkSeq seq, const char* outcome, TimePoint due, TimePoint now);

    std::string peer_id_;
    TimePoint origin_;
    std::map<ChunkSeq, Entry> chunks_;
    std::map<std::uint64_t, Fetch> fetches_;
    std::vector<report::ChunkTrace> done_;
};

}  // namespace p2pls::peer
