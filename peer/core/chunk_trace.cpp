#include "peer/core/chunk_trace.hpp"

#include <chrono>

namespace p2pls::peer {

namespace {
// A trace nobody takes must not grow without bound (a peer started with --trace whose
// adapter never asks).
constexpr std::size_t kMaxPending = 4096;
}  // namespace

ChunkTrace::ChunkTrace(std::string peer_id, TimePoint origin)
    : peer_id_(std::move(peer_id)), origin_(origin) {}

double ChunkTrace::since(TimePoint t) const {
    return std::chrono::duration<double>(t - origin_).count();
}

void ChunkTrace::note(ChunkSeq seq, TimePoint now, std::string what, std::string who,
                      std::uint32_t batch, std::string detail) {
    Entry& e = chunks_[seq];
    if (e.steps.size() >= kMaxSteps) {
        e.cut = true;
        return;
    }
    report::TraceStep step;
    step.set_t_s(since(now));
    step.set_what(std::move(what));
    step.set_who(std::move(who));
    step.set_batch(batch);
    step.set_detail(std::move(detail));
    e.steps.push_back(std::move(step));
}

void ChunkTrace::fetch_sent(std::uint64_t id, std::vector<ChunkSeq> seqs, TimePoint now) {
    fetches_[id] = Fetch{std::move(seqs), now, false};
}

std::vector<ChunkSeq> ChunkTrace::fetch_done(std::uint64_t id) {
    const auto it = fetches_.find(id);
    if (it == fetches_.end()) {
        return {};
    }
    std::vector<ChunkSeq> seqs = std::move(it->second.seqs);
    fetches_.erase(it);
    return seqs;
}

void ChunkTrace::expire_fetches(TimePoint now, Duration timeout) {
    for (auto it = fetches_.begin(); it != fetches_.end();) {
        Fetch& f = it->second;
        if (!f.expired && now - f.sent >= timeout) {
            f.expired = true;
            for (ChunkSeq seq : f.seqs) {
                note(seq, now, "decade-timeout", "", 0);
            }
        }
        // An answer long after its timeout is not waited for.
        it = now - f.sent >= 4 * timeout ? fetches_.erase(it) : std::next(it);
    }
}

void ChunkTrace::finish(ChunkSeq seq, const char* outcome, TimePoint due, TimePoint now) {
    const auto it = chunks_.find(seq);
    if (done_.size() < kMaxPending) {
        report::ChunkTrace t;
        t.set_peer_id(peer_id_);
        t.set_seq(seq.value());
        t.set_outcome(outcome);
        t.set_due_s(since(due));
        t.set_done_s(since(now));
        if (it != chunks_.end()) {
            for (auto& step : it->second.steps) {
                *t.add_steps() = std::move(step);
            }
            t.set_steps_cut(it->second.cut);
        }
        done_.push_back(std::move(t));
    }
    if (it != chunks_.end()) {
        chunks_.erase(it);
    }
}

void ChunkTrace::played(ChunkSeq seq, TimePoint due, TimePoint now, bool late, bool startup) {
    if (late || startup) {
        finish(seq, late ? "late" : "startup", due, now);
    } else {
        chunks_.erase(seq);
    }
}

void ChunkTrace::missed(ChunkSeq seq, TimePoint due, TimePoint now) {
    finish(seq, "missed", due, now);
}

void ChunkTrace::forget_before(ChunkSeq base) {
    chunks_.erase(chunks_.begin(), chunks_.lower_bound(base));
}

std::vector<report::ChunkTrace> ChunkTrace::take() {
    std::vector<report::ChunkTrace> out;
    out.swap(done_);
    return out;
}

}  // namespace p2pls::peer
