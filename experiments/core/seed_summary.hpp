// Repeating a comparison by seed (`p2pls-testbed run --seeds N`): the whole scenario runs
// with seed, seed + 1, ..., and each seed is summarized as one run is (summary.hpp). This
// gathers the seeds per run label into a median with min and max, the DECADE/native
// ratios the same way (a ratio per seed first, then its spread), the draft's claims
// judged on the medians with how many seeds each held on, and writes the top-level
// summary.md, summary.csv, summary-seeds.csv and the per-seed plot. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "experiments/core/claims.hpp"
#include "experiments/core/summary.hpp"

namespace p2pls::experiments {

// Median and range of one figure over the seeds.
struct Spread {
    std::size_t count = 0;  // values: seeds on which the figure was defined
    double median = -1;     // the middle value, the mean of the two middle ones for an
                            // even count; median, min and max are -1 without values
    double min = -1;
    double max = -1;
};
Spread spread_of(std::vector<double> values);

// One seed's runs, summarized.
struct SeedResult {
    std::uint64_t seed = 0;
    bool complete = true;  // false: interrupted; its summary stands alone, the aggregate
                           // leaves it out
    std::vector<RunSummary> runs;
};

// One run label over the seeds.
struct RunSpread {
    std::string label;
    Mode mode = Mode::native;
    std::size_t seeds = 0;           // aggregated seeds that have this run
    std::size_t measured = 0;        // of them: available, at least one session reported
    std::vector<std::string> notes;  // "seed 7: <why it failed or is not available>"
    RunSummary first;  // the first seed's summary, for what the seed does not change (N,
                       // supply, source capacity)
    // Over the measured seeds; the startup delays over seeds where someone started
    // playing, the CPU time over seeds where it is known.
    Spread sessions;
    Spread started;
    Spread startup_p50_s;
    Spread startup_p95_s;
    Spread miss_rate;
    Spread freezes_per_peer;
    Spread stalled_total_s;
    Spread upload_kbps_mean;
    Spread upload_over_stream;
    Spread upload_media_bytes;
    Spread bytes_from_source;
    Spread bytes_from_peers;
    Spread bytes_from_decade;
    Spread control_overhead;
    Spread chunks_rejected;
    Spread cpu_s;
};

// One DECADE run against its native partner (claim_pairs), over the seeds.
struct PairSpread {
    std::optional<std::size_t> native;  // indexes into SeedAggregate::runs
    std::optional<std::size_t> decade;
    // DECADE/native, computed per seed where both sides are defined, then spread.
    Spread startup_p50;
    Spread startup_p95;
    Spread miss_rate;
    Spread freezes;
    Spread stalled;
    Spread upload;
    std::vector<std::vector<ClaimCheck>> per_seed;  // check_claims on each seed's runs
    std::vector<ClaimCheck> on_median;  // check_claims on the medians (and median ratio)
    std::vector<std::size_t> held;      // per claim (Claim order): seeds it held on
};

struct SeedAggregate {
    std::vector<SeedResult> seeds;        // the complete seeds, in order
    std::vector<std::uint64_t> left_out;  // seeds interrupted before their last run ended
    std::vector<RunSpread> runs;          // in the order of the first seed's runs
    std::vector<PairSpread> pairs;
};

SeedAggregate aggregate_seeds(const std::vector<SeedResult>& seeds);

// The top-level summary.md: every cell a median [min–max] over the seeds, the ratios,
// the claims with the seeds they held on, one line per seed and run.
std::string seeds_markdown(const Scenario& scenario, const SeedAggregate& aggregate);

// The top-level summary.csv: one row per run label; for every figure its median, min,
// max and the number of seeds it was defined on (columns <figure>_median, _min, _max,
// _n; empty when undefined).
std::string seeds_csv(const SeedAggregate& aggregate);

// summary-seeds.csv: summary.csv's columns for every (seed, run), with the seed and
// whether the seed completed in front.
std::string per_seed_csv(const std::vector<SeedResult>& seeds);

// The terminal's aggregate table, ratios and claims.
std::string seeds_table_text(const SeedAggregate& aggregate);
std::string seeds_ratios_text(const SeedAggregate& aggregate);
std::string seeds_claims_text(const SeedAggregate& aggregate);

// The claims table's lines for one pair: medians [min–max], verdict on the median with
// the seeds it held on ("holds (4/5 seeds)").
std::vector<ClaimLine> seeds_claim_lines(const SeedAggregate& aggregate, const PairSpread& pair);

// The CDF series of every seed pooled per run label (one curve per label, every session
// of every seed), in the order labels first appear.
std::vector<PlotSeries> pool_series(const std::vector<std::vector<PlotSeries>>& per_seed);

// plots/seeds.dat: one line per measured (run, seed): x position, run index, seed,
// startup p50 (s), freezes per peer, miss rate (%); NaN where undefined.
std::string seeds_plot_data(const SeedAggregate& aggregate);
// plots/seeds-spread.dat: one line per run: x position, run index, then median, min and
// max of the same three figures.
std::string seeds_spread_data(const SeedAggregate& aggregate);
// The gnuplot commands for plots/seeds.png (three panels: points per seed, median with
// min–max bars, one column per run), to append to gnuplot_script's; the png name goes
// to `pngs`.
std::string seeds_gnuplot_script(const SeedAggregate& aggregate, const std::string& title,
                                 std::vector<std::string>* pngs);

}  // namespace p2pls::experiments
