// Report aggregation: every peer session's QoE report (proto/p2pls/report.proto, one JSON
// line per second plus a final line) becomes one row per run in summary.csv and a table
// like the draft's §8 in summary.md (native vs DECADE side by side, plus ratios).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/core/scenario.hpp"
#include "p2pls/report.pb.h"

namespace p2pls::experiments {

// What one peer session left behind: its last report line (the final one when the peer
// stopped cleanly).
struct SessionRecord {
    std::uint32_t peer = 0;
    std::uint32_t session = 0;
    bool reported = false;  // at least one line parsed
    bool final = false;     // the last line is the final one
    report::QoeReport last;
};

// The last parseable line of a JSON-lines report (nullopt if none parses). Lines that
// fail to parse (e.g. a half-written last line of a killed peer) are skipped; `errors`
// counts them.
std::optional<report::QoeReport> last_report(std::string_view jsonl, std::size_t* errors = nullptr);

// One run: one mode (and one sweep value) of a scenario.
struct RunResult {
    std::string label;  // "native", "decade", "decade k=4", ...
    Mode mode = Mode::native;
    bool available = true;         // false: this build cannot run the mode
    std::string unavailable;       // why, when !available
    std::string failure;           // set when the run broke off (e.g. the source died)
    std::uint32_t peers = 0;       // N
    std::uint64_t supply_bps = 0;  // N x Bu (native) or the DECADE servers' total
    std::uint64_t source_bps = 0;
    double duration_s = 0;
    double cpu_s = -1;  // CPU time of every process of the run (user + system); -1 unknown
    std::vector<SessionRecord> sessions;     // every scheduled session
    std::vector<report::ChunkTrace> traces;  // with --trace: every peer's chunk traces
};

struct RunSummary {
    std::string label;
    Mode mode = Mode::native;
    bool available = true;
    std::string note;  // unavailable reason or failure
    std::uint32_t peers = 0;
    std::size_t sessions = 0;
    std::size_t reported = 0;  // sessions with a report
    std::size_t final_reports = 0;
    std::size_t started = 0;    // sessions that started playing
    double startup_p50_s = -1;  // over the sessions that started; -1 = none did
    double startup_p95_s = -1;
    std::uint64_t chunks_due = 0;
    std::uint64_t chunks_missed = 0;
    double miss_rate = 0;  // missed / due over all sessions
    double freezes_per_peer = 0;
    double stalled_total_s = 0;
    double upload_kbps_mean = 0;    // media upload per session, kbit/s (mean)
    double upload_over_stream = 0;  // share of sessions uploading more than the stream rate
    std::uint64_t upload_media_bytes = 0;
    std::uint64_t control_bytes = 0;  // sent + received
    std::uint64_t download_media_bytes = 0;
    std::uint64_t bytes_from_source = 0;
    std::uint64_t bytes_from_peers = 0;
    std::uint64_t bytes_from_decade = 0;
    double control_overhead = 0;  // control bytes / media bytes received
    std::uint64_t chunks_rejected = 0;
    std::uint64_t supply_bps = 0;
    std::uint64_t source_bps = 0;
    double duration_s = 0;
    double cpu_s = -1;
};

// Linear-interpolation percentile of unsorted values (p in [0, 100]); -1 when empty.
double percentile(std::vector<double> values, double p);

RunSummary summarize(const RunResult& run, std::uint32_t stream_kbps);

// summary.csv: a header and one row per run.
std::string summary_csv(const std::vector<RunSummary>& runs);

// summary.md: the scenario, the supply totals of both modes, the table (one column per
// run), DECADE/native ratios, the draft's claims checked (claims.hpp) and the draft's
// numbers for comparison.
std::string summary_markdown(const Scenario& scenario, const std::vector<RunSummary>& runs);

// The scenario's lines at the top of summary.md (description, N, arrival, stream,
// supply); `with_seed` adds the seed (an aggregate over seeds names its seeds itself).
std::string scenario_markdown(const Scenario& scenario, bool with_seed);

// summary.md's closing section: the draft's own figures, in words.
std::string draft_numbers_markdown();

// The native run that DECADE run `decade` (an index into `runs`) is compared with: the
// native run of the same sweep value ("native N=10" for "decade N=10"), else the first
// native run that reported, else the first native run; nullopt without a native run.
std::optional<std::size_t> native_partner(const std::vector<RunSummary>& runs, std::size_t decade);

// decade / native; nullopt when native <= 0 (nothing to divide by, or "nobody started"
// for a startup delay) or decade < 0.
std::optional<double> decade_native_ratio(double decade, double native);

// The same table as plain text for the terminal.
std::string summary_table_text(const std::vector<RunSummary>& runs);

// The closing note for the terminal: DECADE/native ratios measured (or why there are
// none) next to the draft's.
std::string ratios_text(const std::vector<RunSummary>& runs);

// The draft's ratios in one line, for the terminal.
std::string draft_ratios_text();

// Per-session values for the plots (sessions that reported).
struct PlotSeries {
    std::string label;
    std::size_t reported = 0;       // sessions that reported (the CDFs' population)
    std::vector<double> startup_s;  // sessions that started playing
    std::vector<double> miss_rate_percent;
    std::vector<double> freezes;
    std::vector<double> upload_kbps;
};
PlotSeries plot_series(const RunResult& run);

// Two-column CDF data "value fraction" (sorted, fraction in (0, 1]). With `population`
// above values.size(), fractions are of the population: sessions that never started
// playing keep the startup CDF below 1.
std::string cdf_data(std::vector<double> values, std::size_t population = 0);

// A gnuplot script that draws four PNGs in `plot_dir` (startup CDF, miss rate, freezes,
// upload rate; every run on the same axes) from the files "<i>-<metric>.dat" written
// next to it. Returns the script text; png names in `pngs`.
std::string gnuplot_script(const std::vector<PlotSeries>& series, const std::string& title,
                           std::vector<std::string>* pngs);

// File-name-safe form of a run label ("decade k=4" -> "decade-k4").
std::string slug(std::string_view label);

}  // namespace p2pls::experiments
