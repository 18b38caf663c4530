// The draft's claims (draft-ietf-decade-integration-example-02 §8.2.1) as checks on a
// run: for each, whether this comparison of native and DECADE mode reproduces it. A check
// compares measured figures with a goal; the goals are the named constants below, each
// with the figure of the draft it comes from. No I/O: figures in, verdicts and table text
// out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/core/summary.hpp"

namespace p2pls::experiments {

namespace claim_goal {
// (a) DECADE peers started playing in 35-40 s, native peers in 110-120 s: a ratio of about
// 0.3. The goal is the draft's least favourable pair, 40 s / 110 s = 0.36.
inline constexpr double kStartupRatioMax = 0.36;
// (b) Native peers froze about 40 % more often than DECADE peers: DECADE's freezes per
// peer at most native's divided by 1.4.
inline constexpr double kNativeFreezeFactor = 1.4;
// (c) The piece miss rate was about 0.02 % in both modes.
inline constexpr double kMissRateMax = 0.0002;
// (d) DECADE peers uploaded no media on their own last mile (the servers did).
inline constexpr std::uint64_t kDecadePeerUploadMaxBytes = 0;
// (e) The draft's control (signalling) overhead figure for DECADE mode, 2.5 %.
inline constexpr double kDecadeOverheadMax = 0.025;
}  // namespace claim_goal

enum class Claim {
    faster_startup,  // (a)
    fewer_freezes,   // (b)
    low_miss_rate,   // (c)
    no_peer_upload,  // (d)
    low_overhead,    // (e) signalling overhead in DECADE mode
};

enum class Verdict {
    holds,
    does_not_hold,
    not_measured,  // a mode the check needs did not run or no session of it reported
};
std::string_view to_string(Verdict verdict);

// What the checks read of one mode: one run's figures, or the medians over seeds.
struct ModeFigures {
    bool measured = false;      // the mode ran and at least one session reported
    double startup_p50_s = -1;  // -1: no session started playing
    double freezes_per_peer = 0;
    double miss_rate = 0;  // missed / due, 0..1
    double upload_media_bytes = 0;
    double control_overhead = 0;  // control bytes / media bytes received
};

// Not measured for nullptr, a mode not available in this build or one without reports.
ModeFigures figures_of(const RunSummary* run);

// DECADE startup p50 / native startup p50. nullopt when either mode was not measured,
// a mode had nobody start playing, or native's p50 is 0 (nothing to be faster than).
std::optional<double> startup_ratio(const ModeFigures& native, const ModeFigures& decade);

struct ClaimCheck {
    Claim claim = Claim::faster_startup;
    Verdict verdict = Verdict::not_measured;
};

// The five checks, in the order of Claim. `ratio` is the DECADE/native startup ratio
// that (a) is judged on: startup_ratio(native, decade) for one run, the median of the
// per-seed ratios for an aggregate.
std::vector<ClaimCheck> check_claims(const ModeFigures& native, const ModeFigures& decade,
                                     std::optional<double> ratio);
std::vector<ClaimCheck> check_claims(const ModeFigures& native, const ModeFigures& decade);

// The fixed columns of a claim's line: its name, the draft's figure and the goal.
struct ClaimText {
    std::string title;
    std::string draft;
    std::string goal;
};
ClaimText claim_text(Claim claim);

// One line of the claims table; the measured cells are filled by whoever has the
// figures (one run here, median and range over seeds in seed_summary).
struct ClaimLine {
    Claim claim = Claim::faster_startup;
    std::string native;
    std::string decade;
    std::string verdict;
};

// The lines for one DECADE run against its native partner (either may be nullptr).
std::vector<ClaimLine> claim_lines(const RunSummary* native, const RunSummary* decade);

// The claims table in Markdown: claim | native | DECADE | the draft | goal | verdict.
std::string claims_markdown_table(const std::vector<ClaimLine>& lines);

// The same for the terminal (aligned columns).
std::string claims_text_table(const std::vector<ClaimLine>& lines);

// The pairs the claims compare: every DECADE run with its native partner (see
// native_partner); a scenario without a DECADE run gets one pair of its first native
// run and no DECADE run, so that the table says what was not measured.
struct RunPair {
    std::optional<std::size_t> native;
    std::optional<std::size_t> decade;
};
std::vector<RunPair> claim_pairs(const std::vector<RunSummary>& runs);

// summary.md's claims section: a table per pair (with a heading when there are several).
std::string claims_markdown(const std::vector<RunSummary>& runs);

// The same tables for the terminal.
std::string claims_text(const std::vector<RunSummary>& runs);

}  // namespace p2pls::experiments
