#include "experiments/core/seed_summary.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "experiments/core/text_format.hpp"

namespace p2pls::experiments {

Spread spread_of(std::vector<double> values) {
    Spread s;
    if (values.empty()) {
        return s;
    }
    std::sort(values.begin(), values.end());
    s.count = values.size();
    s.min = values.front();
    s.max = values.back();
    const std::size_t mid = values.size() / 2;
    s.median = values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    return s;
}

namespace {

bool measured(const RunSummary& run) {
    return run.available && run.reported > 0;
}

const RunSummary* find_run(const SeedResult& seed, const std::string& label) {
    for (const auto& r : seed.runs) {
        if (r.label == label) {
            return &r;
        }
    }
    return nullptr;
}

// The figures the claims read, from the medians over the seeds.
ModeFigures median_figures(const RunSpread* run) {
    ModeFigures f;
    if (run == nullptr || run->measured == 0) {
        return f;
    }
    f.measured = true;
    f.startup_p50_s = run->startup_p50_s.count > 0 ? run->startup_p50_s.median : -1;
    f.freezes_per_peer = run->freezes_per_peer.median;
    f.miss_rate = run->miss_rate.median;
    f.upload_media_bytes = run->upload_media_bytes.median;
    f.control_overhead = run->control_overhead.median;
    return f;
}

RunSpread spread_run(const std::vector<SeedResult>& seeds, const std::string& label) {
    RunSpread out;
    out.label = label;
    struct Figure {
        Spread RunSpread::*spread;
        double (*value)(const RunSummary&);
        bool negative_is_undefined;  // -1 stands for "none": nobody started, CPU unknown
    };
    static const Figure kFigures[] = {
        {&RunSpread::sessions, [](const RunSummary& s) { return static_cast<double>(s.sessions); },
         false},
        {&RunSpread::started, [](const RunSummary& s) { return static_cast<double>(s.started); },
         false},
        {&RunSpread::startup_p50_s, [](const RunSummary& s) { return s.startup_p50_s; }, true},
        {&RunSpread::startup_p95_s, [](const RunSummary& s) { return s.startup_p95_s; }, true},
        {&RunSpread::miss_rate, [](const RunSummary& s) { return s.miss_rate; }, false},
        {&RunSpread::freezes_per_peer, [](const RunSummary& s) { return s.freezes_per_peer; },
         false},
        {&RunSpread::stalled_total_s, [](const RunSummary& s) { return s.stalled_total_s; }, false},
        {&RunSpread::upload_kbps_mean, [](const RunSummary& s) { return s.upload_kbps_mean; },
         false},
        {&RunSpread::upload_over_stream, [](const RunSummary& s) { return s.upload_over_stream; },
         false},
        {&RunSpread::upload_media_bytes,
         [](const RunSummary& s) { return static_cast<double>(s.upload_media_bytes); }, false},
        {&RunSpread::bytes_from_source,
         [](const RunSummary& s) { return static_cast<double>(s.bytes_from_source); }, false},
        {&RunSpread::bytes_from_peers,
         [](const RunSummary& s) { return static_cast<double>(s.bytes_from_peers); }, false},
        {&RunSpread::bytes_from_decade,
         [](const RunSummary& s) { return static_cast<double>(s.bytes_from_decade); }, false},
        {&RunSpread::control_overhead, [](const RunSummary& s) { return s.control_overhead; },
         false},
        {&RunSpread::chunks_rejected,
         [](const RunSummary& s) { return static_cast<double>(s.chunks_rejected); }, false},
        {&RunSpread::cpu_s, [](const RunSummary& s) { return s.cpu_s; }, true},
    };
    std::vector<std::vector<double>> values(std::size(kFigures));
    for (const auto& seed : seeds) {
        const RunSummary* run = find_run(seed, label);
        if (run == nullptr) {
            continue;
        }
        if (out.seeds == 0) {
            out.first = *run;
            out.mode = run->mode;
        }
        ++out.seeds;
        if (!run->note.empty()) {
            out.notes.push_back("seed " + std::to_string(seed.seed) + ": " + run->note);
        }
        if (!measured(*run)) {
            continue;
        }
        ++out.measured;
        for (std::size_t i = 0; i < std::size(kFigures); ++i) {
            const double v = kFigures[i].value(*run);
            if (!(kFigures[i].negative_is_undefined && v < 0)) {
                values[i].push_back(v);
            }
        }
    }
    for (std::size_t i = 0; i < std::size(kFigures); ++i) {
        out.*kFigures[i].spread = spread_of(std::move(values[i]));
    }
    return out;
}

PairSpread spread_pair(const std::vector<SeedResult>& seeds, const std::vector<RunSpread>& runs,
                       const RunPair& pair) {
    PairSpread out;
    out.native = pair.native;
    out.decade = pair.decade;
    const RunSpread* native = pair.native ? &runs[*pair.native] : nullptr;
    const RunSpread* decade = pair.decade ? &runs[*pair.decade] : nullptr;
    struct Ratio {
        Spread PairSpread::*spread;
        double RunSummary::*field;
    };
    static const Ratio kRatios[] = {
        {&PairSpread::startup_p50, &RunSummary::startup_p50_s},
        {&PairSpread::startup_p95, &RunSummary::startup_p95_s},
        {&PairSpread::miss_rate, &RunSummary::miss_rate},
        {&PairSpread::freezes, &RunSummary::freezes_per_peer},
        {&PairSpread::stalled, &RunSummary::stalled_total_s},
        {&PairSpread::upload, &RunSummary::upload_kbps_mean},
    };
    std::vector<std::vector<double>> values(std::size(kRatios));
    for (const auto& seed : seeds) {
        const RunSummary* n = native != nullptr ? find_run(seed, native->label) : nullptr;
        const RunSummary* d = decade != nullptr ? find_run(seed, decade->label) : nullptr;
        out.per_seed.push_back(check_claims(figures_of(n), figures_of(d)));
        if (n == nullptr || d == nullptr || !measured(*n) || !measured(*d)) {
            continue;
        }
        for (std::size_t i = 0; i < std::size(kRatios); ++i) {
            if (const auto r = decade_native_ratio(d->*kRatios[i].field, n->*kRatios[i].field)) {
                values[i].push_back(*r);
            }
        }
    }
    for (std::size_t i = 0; i < std::size(kRatios); ++i) {
        out.*kRatios[i].spread = spread_of(std::move(values[i]));
    }
    const auto median_ratio =
        out.startup_p50.count > 0 ? std::optional<double>(out.startup_p50.median) : std::nullopt;
    out.on_median = check_claims(median_figures(native), median_figures(decade), median_ratio);
    out.held.assign(out.on_median.size(), 0);
    for (const auto& checks : out.per_seed) {
        for (std::size_t c = 0; c < checks.size() && c < out.held.size(); ++c) {
            out.held[c] += checks[c].verdict == Verdict::holds ? 1 : 0;
        }
    }
    return out;
}

}  // namespace

SeedAggregate aggregate_seeds(const std::vector<SeedResult>& seeds) {
    SeedAggregate agg;
    for (const auto& seed : seeds) {
        if (seed.complete) {
            agg.seeds.push_back(seed);
        } else {
            agg.left_out.push_back(seed.seed);
        }
    }
    if (agg.seeds.empty()) {
        return agg;
    }
    // Every seed runs the same list (expand_runs does not depend on the seed); the first
    // seed's order is the table's.
    for (const auto& run : agg.seeds.front().runs) {
        agg.runs.push_back(spread_run(agg.seeds, run.label));
    }
    for (const auto& pair : claim_pairs(agg.seeds.front().runs)) {
        agg.pairs.push_back(spread_pair(agg.seeds, agg.runs, pair));
    }
    return agg;
}

namespace {

// How a figure's numbers look: value x scale with `digits` decimals, then `unit`.
struct Format {
    double scale = 1;
    int digits = 2;
    const char* unit = "";
    bool bytes = false;  // pick kB/MB/GB by the largest value instead
};

std::string spread_cell(const Spread& s, const Format& f, std::size_t out_of) {
    if (s.count == 0) {
        return "-";
    }
    double scale = f.scale;
    int digits = f.digits;
    std::string unit = f.unit;
    if (f.bytes) {
        const double top = std::max(std::fabs(s.max), std::fabs(s.min));
        // One unit for the median and the range, the one bytes_human picks for the largest.
        struct Unit {
            double at_least;
            double scale;
            int digits;
            const char* name;
        };
        static const Unit kUnits[] = {
            {1e9, 1e-9, 2, " GB"}, {1e6, 1e-6, 2, " MB"}, {1e3, 1e-3, 1, " kB"}, {0, 1, 0, " B"}};
        for (const auto& u : kUnits) {
            if (top >= u.at_least) {
                scale = u.scale;
                digits = u.digits;
                unit = u.name;
                break;
            }
        }
    }
    std::string out = fixed(s.median * scale, digits) + unit + " [" + fixed(s.min * scale, digits) +
                      "–" + fixed(s.max * scale, digits) + "]";
    if (s.count < out_of) {
        out += " (" + std::to_string(s.count) + "/" + std::to_string(out_of) + " seeds)";
    }
    return out;
}

struct AggRow {
    const char* name;
    const char* csv;  // column stem in summary.csv
    Spread RunSpread::*spread;
    Format format;
};

const std::vector<AggRow>& agg_rows() {
    static const std::vector<AggRow> kRows = {
        {"sessions", "sessions", &RunSpread::sessions, {.digits = 0}},
        {"sessions that started playing", "started", &RunSpread::started, {.digits = 0}},
        {"startup delay p50",
         "startup_p50_s",
         &RunSpread::startup_p50_s,
         {.digits = 1, .unit = " s"}},
        {"startup delay p95",
         "startup_p95_s",
         &RunSpread::startup_p95_s,
         {.digits = 1, .unit = " s"}},
        {"piece miss rate",
         "miss_rate",
         &RunSpread::miss_rate,
         {.scale = 100, .digits = 3, .unit = " %"}},
        {"freezes per peer", "freezes_per_peer", &RunSpread::freezes_per_peer, {.digits = 2}},
        {"total stalled time",
         "stalled_total_s",
         &RunSpread::stalled_total_s,
         {.digits = 1, .unit = " s"}},
        {"avg peer media upload",
         "upload_kbps_mean",
         &RunSpread::upload_kbps_mean,
         {.digits = 1, .unit = " kbit/s"}},
        {"peers uploading > stream rate",
         "upload_over_stream_share",
         &RunSpread::upload_over_stream,
         {.scale = 100, .digits = 0, .unit = " %"}},
        {"peer media upload bytes",
         "upload_media_bytes",
         &RunSpread::upload_media_bytes,
         {.bytes = true}},
        {"bytes from source", "bytes_from_source", &RunSpread::bytes_from_source, {.bytes = true}},
        {"bytes from peers", "bytes_from_peers", &RunSpread::bytes_from_peers, {.bytes = true}},
        {"bytes from DECADE", "bytes_from_decade", &RunSpread::bytes_from_decade, {.bytes = true}},
        {"signalling overhead (control/media)",
         "control_overhead",
         &RunSpread::control_overhead,
         {.scale = 100, .digits = 2, .unit = " %"}},
        {"chunks rejected", "chunks_rejected", &RunSpread::chunks_rejected, {.digits = 0}},
        {"CPU of the run's processes", "cpu_s", &RunSpread::cpu_s, {.digits = 1, .unit = " s"}},
    };
    return kRows;
}

// The aggregate table: a header, then one line per figure, one column per run.
std::vector<std::vector<std::string>> agg_cells(const SeedAggregate& agg) {
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> header{"metric"};
    for (const auto& r : agg.runs) {
        header.push_back(r.label);
    }
    cells.push_back(header);
    const auto constant_row = [&](const std::string& name, auto cell) {
        std::vector<std::string> line{name};
        for (const auto& r : agg.runs) {
            line.push_back(cell(r));
        }
        cells.push_back(line);
    };
    constant_row("seeds measured", [](const RunSpread& r) {
        return r.measured == 0 && !r.first.available
                   ? std::string("not available in this build")
                   : std::to_string(r.measured) + "/" + std::to_string(r.seeds);
    });
    constant_row("peers (N)", [](const RunSpread& r) { return std::to_string(r.first.peers); });
    for (const auto& row : agg_rows()) {
        std::vector<std::string> line{row.name};
        for (const auto& r : agg.runs) {
            line.push_back(spread_cell(r.*row.spread, row.format, r.measured));
        }
        cells.push_back(line);
    }
    constant_row("supply (peers' or servers' total)",
                 [](const RunSpread& r) { return rate_human(r.first.supply_bps); });
    constant_row("source capacity", [](const RunSpread& r) {
        return r.first.source_bps == 0 ? std::string("unlimited") : rate_human(r.first.source_bps);
    });
    return cells;
}

std::string markdown_table(const std::vector<std::vector<std::string>>& cells) {
    std::ostringstream out;
    for (std::size_t r = 0; r < cells.size(); ++r) {
        out << '|';
        for (const auto& c : cells[r]) {
            out << ' ' << c << " |";
        }
        out << '\n';
        if (r == 0) {
            out << '|';
            for (std::size_t i = 0; i < cells[r].size(); ++i) {
                out << "---|";
            }
            out << '\n';
        }
    }
    return out.str();
}

std::string seed_list(const SeedAggregate& agg) {
    std::string out;
    for (std::size_t i = 0; i < agg.seeds.size(); ++i) {
        out += (i == 0 ? "" : ", ") + std::to_string(agg.seeds[i].seed);
    }
    return out;
}

std::string pair_name(const SeedAggregate& agg, const PairSpread& pair) {
    return (pair.decade ? agg.runs[*pair.decade].label : std::string("decade")) + " / " +
           (pair.native ? agg.runs[*pair.native].label : std::string("native"));
}

const Format kRatioFormat{.digits = 2};

std::string held_letters(const std::vector<ClaimCheck>& checks) {
    std::string out;
    for (const auto& c : checks) {
        if (c.verdict == Verdict::holds) {
            const std::string title = claim_text(c.claim).title;  // "(a) ..."
            out += (out.empty() ? "" : " ") + title.substr(0, 3);
        }
    }
    return out.empty() ? "none" : out;
}

}  // namespace

std::vector<ClaimLine> seeds_claim_lines(const SeedAggregate& agg, const PairSpread& pair) {
    const RunSpread* native = pair.native ? &agg.runs[*pair.native] : nullptr;
    const RunSpread* decade = pair.decade ? &agg.runs[*pair.decade] : nullptr;
    const std::size_t n = agg.seeds.size();
    std::vector<ClaimLine> lines;
    for (std::size_t c = 0; c < pair.on_median.size(); ++c) {
        const ClaimCheck& check = pair.on_median[c];
        ClaimLine line{.claim = check.claim, .native = "-", .decade = "-", .verdict = ""};
        const auto cell = [&](const RunSpread* run) {
            if (run == nullptr || run->measured == 0) {
                return std::string("-");
            }
            switch (check.claim) {
                case Claim::faster_startup:
                    return spread_cell(run->startup_p50_s, {.digits = 1, .unit = " s"},
                                       run->measured);
                case Claim::fewer_freezes:
                    return spread_cell(run->freezes_per_peer, {.digits = 2}, run->measured);
                case Claim::low_miss_rate:
                    return spread_cell(run->miss_rate, {.scale = 100, .digits = 3, .unit = " %"},
                                       run->measured);
                case Claim::no_peer_upload:
                    return spread_cell(run->upload_media_bytes, {.bytes = true}, run->measured);
                case Claim::low_overhead:
                    return spread_cell(run->control_overhead,
                                       {.scale = 100, .digits = 2, .unit = " %"}, run->measured);
            }
            return std::string("-");
        };
        line.native = cell(native);
        line.decade = cell(decade);
        if (check.claim == Claim::faster_startup && pair.startup_p50.count > 0) {
            line.decade += " (x" + spread_cell(pair.startup_p50, kRatioFormat, 0) + ")";
        }
        line.verdict = std::string(to_string(check.verdict));
        if (check.verdict != Verdict::not_measured) {
            line.verdict += " (" + std::to_string(pair.held[c]) + "/" + std::to_string(n) +
                            (n == 1 ? " seed)" : " seeds)");
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

std::string seeds_markdown(const Scenario& scenario, const SeedAggregate& agg) {
    std::ostringstream out;
    const std::size_t n = agg.seeds.size();
    out << "# " << scenario.name << ": " << n << (n == 1 ? " seed" : " seeds") << "\n\n"
        << scenario_markdown(scenario, false);
    if (n == 0) {
        out << "- no seed finished";
    } else {
        out << "- seeds " << seed_list(agg)
            << " (repetition i runs with the scenario's seed + i: arrival schedule, region "
               "assignment, tracker sampling, simulator); each seed's own report is "
               "`seed-<seed>/summary.md`";
    }
    out << "\n";
    if (!agg.left_out.empty()) {
        out << "- interrupted, so left out of every figure here: seed";
        for (std::size_t i = 0; i < agg.left_out.size(); ++i) {
            out << (i == 0 ? " " : ", ") << agg.left_out[i];
        }
        out << " (its partial report is in its folder)\n";
    }
    if (n == 0) {
        return out.str();
    }
    out << "\nEvery cell: the median over the seeds [min–max]; \"(k/n seeds)\" when a figure "
           "exists on fewer seeds than the run was measured on (startup delays: seeds on which "
           "somebody started playing).\n\n";
    out << markdown_table(agg_cells(agg));
    for (const auto& r : agg.runs) {
        for (const auto& note : r.notes) {
            out << "\n**" << r.label << "**: " << note << '\n';
        }
    }

    bool any_ratio = false;
    for (const auto& pair : agg.pairs) {
        if (!pair.decade) {
            continue;
        }
        if (!any_ratio) {
            out << "\n## DECADE / native ratios\n\n"
                << "Computed on each seed, then the median [min–max] over the seeds on which "
                   "both sides are defined (a native figure of 0 has no ratio).\n\n"
                << "| run | startup p50 | startup p95 | miss rate | freezes per peer | "
                   "stalled time | peer upload rate |\n|---|---|---|---|---|---|---|\n";
            any_ratio = true;
        }
        out << "| " << pair_name(agg, pair) << " | "
            << spread_cell(pair.startup_p50, kRatioFormat, n) << " | "
            << spread_cell(pair.startup_p95, kRatioFormat, n) << " | "
            << spread_cell(pair.miss_rate, kRatioFormat, n) << " | "
            << spread_cell(pair.freezes, kRatioFormat, n) << " | "
            << spread_cell(pair.stalled, kRatioFormat, n) << " | "
            << spread_cell(pair.upload, kRatioFormat, n) << " |\n";
    }

    out << "\n## The draft's claims (§8.2.1)\n\n"
        << "Judged on the medians over the seeds (the startup claim on the median of the "
           "per-seed ratios); in brackets, on how many seeds the claim held on its own.\n";
    for (const auto& pair : agg.pairs) {
        if (agg.pairs.size() > 1) {
            out << "\n### " << pair_name(agg, pair) << "\n";
        }
        out << '\n' << claims_markdown_table(seeds_claim_lines(agg, pair));
    }

    out << "\n## Per seed\n\n"
        << "| seed | run | startup p50 | freezes per peer | piece miss rate | signalling "
           "overhead | claims held |\n|---|---|---|---|---|---|---|\n";
    for (std::size_t s = 0; s < agg.seeds.size(); ++s) {
        const SeedResult& seed = agg.seeds[s];
        for (std::size_t i = 0; i < seed.runs.size(); ++i) {
            const RunSummary& r = seed.runs[i];
            std::string held;
            for (const auto& pair : agg.pairs) {
                if (pair.decade && agg.runs[*pair.decade].label == r.label) {
                    held = held_letters(pair.per_seed[s]);
                }
            }
            out << "| " << seed.seed << " | " << r.label << " | ";
            if (measured(r)) {
                out << seconds_or_dash(r.startup_p50_s) << " | " << fixed(r.freezes_per_peer, 2)
                    << " | " << fixed(r.miss_rate * 100, 3) << " % | "
                    << fixed(r.control_overhead * 100, 2) << " %";
            } else {
                out << "- | - | - | -";
            }
            out << " | " << held << " |\n";
        }
    }
    out << draft_numbers_markdown();
    return out.str();
}

namespace {

// Counts and byte totals stay whole numbers in the CSV; shares and seconds get 6 decimals.
std::string csv_number(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        return fixed(v, 0);
    }
    return fixed(v, 6);
}

}  // namespace

std::string seeds_csv(const SeedAggregate& agg) {
    std::ostringstream out;
    out << "run,mode,seeds,measured,peers,supply_bps,source_bps";
    for (const auto& row : agg_rows()) {
        for (const char* part : {"_median", "_min", "_max", "_n"}) {
            out << ',' << row.csv << part;
        }
    }
    out << '\n';
    for (const auto& r : agg.runs) {
        out << csv_field(r.label) << ',' << to_string(r.mode) << ',' << r.seeds << ',' << r.measured
            << ',' << r.first.peers << ',' << r.first.supply_bps << ',' << r.first.source_bps;
        for (const auto& row : agg_rows()) {
            const Spread& s = r.*row.spread;
            if (s.count == 0) {
                out << ",,,," << 0;
                continue;
            }
            out << ',' << csv_number(s.median) << ',' << csv_number(s.min) << ','
                << csv_number(s.max) << ',' << s.count;
        }
        out << '\n';
    }
    return out.str();
}

std::string per_seed_csv(const std::vector<SeedResult>& seeds) {
    std::ostringstream out;
    bool header = false;
    for (const auto& seed : seeds) {
        std::istringstream in(summary_csv(seed.runs));
        std::string line;
        bool first = true;
        while (std::getline(in, line)) {
            if (first) {
                first = false;
                if (!header) {
                    out << "seed,complete," << line << '\n';
                    header = true;
                }
                continue;
            }
            out << seed.seed << ',' << (seed.complete ? 1 : 0) << ',' << line << '\n';
        }
    }
    if (!header) {
        std::istringstream in(summary_csv({}));
        std::string line;
        std::getline(in, line);
        out << "seed,complete," << line << '\n';
    }
    return out.str();
}

std::string seeds_table_text(const SeedAggregate& agg) {
    if (agg.seeds.empty()) {
        return "no seed finished\n";
    }
    return aligned_table(agg_cells(agg));
}

std::string seeds_ratios_text(const SeedAggregate& agg) {
    std::ostringstream out;
    const std::size_t n = agg.seeds.size();
    for (const auto& pair : agg.pairs) {
        if (!pair.decade) {
            continue;
        }
        out << "DECADE/native (" << pair_name(agg, pair) << "), median [min–max] over " << n
            << (n == 1 ? " seed" : " seeds") << ": startup p50 "
            << spread_cell(pair.startup_p50, kRatioFormat, n) << ", miss rate "
            << spread_cell(pair.miss_rate, kRatioFormat, n) << ", freezes "
            << spread_cell(pair.freezes, kRatioFormat, n) << ", peer upload "
            << spread_cell(pair.upload, kRatioFormat, n) << '\n';
    }
    out << draft_ratios_text();
    return out.str();
}

std::string seeds_claims_text(const SeedAggregate& agg) {
    std::ostringstream out;
    for (const auto& pair : agg.pairs) {
        out << "The draft's claims, on the medians over " << agg.seeds.size()
            << (agg.seeds.size() == 1 ? " seed (" : " seeds (") << pair_name(agg, pair) << "):\n"
            << claims_text_table(seeds_claim_lines(agg, pair));
    }
    return out.str();
}

std::vector<PlotSeries> pool_series(const std::vector<std::vector<PlotSeries>>& per_seed) {
    std::vector<PlotSeries> pooled;
    for (const auto& seed : per_seed) {
        for (const auto& s : seed) {
            auto it = std::find_if(pooled.begin(), pooled.end(),
                                   [&](const PlotSeries& p) { return p.label == s.label; });
            if (it == pooled.end()) {
                PlotSeries fresh;
                fresh.label = s.label;
                pooled.push_back(std::move(fresh));
                it = std::prev(pooled.end());
            }
            it->reported += s.reported;
            const auto append = [](std::vector<double>& to, const std::vector<double>& from) {
                to.insert(to.end(), from.begin(), from.end());
            };
            append(it->startup_s, s.startup_s);
            append(it->miss_rate_percent, s.miss_rate_percent);
            append(it->freezes, s.freezes);
            append(it->upload_kbps, s.upload_kbps);
        }
    }
    return pooled;
}

namespace {

std::string number_or_nan(double v, bool defined) {
    return defined ? fixed(v, 4) : std::string("NaN");
}

// Per-seed points sit left of their run's column, spread out so that equal values stay
// visible; the median bar sits right of it.
double seed_x(std::size_t run, std::size_t seed, std::size_t seeds) {
    const double spread =
        seeds > 1 ? static_cast<double>(seed) / static_cast<double>(seeds - 1) : 0.5;
    return static_cast<double>(run) - 0.3 + 0.2 * spread;
}

constexpr double kMedianOffset = 0.15;

}  // namespace

std::string seeds_plot_data(const SeedAggregate& agg) {
    std::ostringstream out;
    out << "# x run seed startup_p50_s freezes_per_peer miss_rate_percent\n";
    for (std::size_t i = 0; i < agg.runs.size(); ++i) {
        for (std::size_t s = 0; s < agg.seeds.size(); ++s) {
            const RunSummary* r = find_run(agg.seeds[s], agg.runs[i].label);
            if (r == nullptr || !measured(*r)) {
                continue;
            }
            out << fixed(seed_x(i, s, agg.seeds.size()), 4) << ' ' << i << ' ' << agg.seeds[s].seed
                << ' ' << number_or_nan(r->startup_p50_s, r->startup_p50_s >= 0) << ' '
                << fixed(r->freezes_per_peer, 4) << ' ' << fixed(r->miss_rate * 100, 4) << '\n';
        }
    }
    return out.str();
}

std::string seeds_spread_data(const SeedAggregate& agg) {
    std::ostringstream out;
    out << "# x run startup_p50_s(median min max) freezes_per_peer(median min max) "
           "miss_rate_percent(median min max)\n";
    for (std::size_t i = 0; i < agg.runs.size(); ++i) {
        const RunSpread& r = agg.runs[i];
        out << fixed(static_cast<double>(i) + kMedianOffset, 4) << ' ' << i;
        for (const auto& [spread, scale] :
             {std::pair{&r.startup_p50_s, 1.0}, std::pair{&r.freezes_per_peer, 1.0},
              std::pair{&r.miss_rate, 100.0}}) {
            const bool defined = spread->count > 0;
            out << ' ' << number_or_nan(spread->median * scale, defined) << ' '
                << number_or_nan(spread->min * scale, defined) << ' '
                << number_or_nan(spread->max * scale, defined);
        }
        out << '\n';
    }
    return out.str();
}

std::string seeds_gnuplot_script(const SeedAggregate& agg, const std::string& title,
                                 std::vector<std::string>* pngs) {
    const auto quote_free = [](std::string s) {
        s.erase(std::remove(s.begin(), s.end(), '\''), s.end());
        return s;
    };
    struct Panel {
        const char* what;
        int seed_column;    // in seeds.dat
        int spread_column;  // the median's in seeds-spread.dat; min and max follow
        Spread RunSpread::*spread;
    };
    static const Panel kPanels[] = {
        {"startup delay p50 (s)", 4, 3, &RunSpread::startup_p50_s},
        {"freezes per peer", 5, 6, &RunSpread::freezes_per_peer},
        {"piece miss rate (%)", 6, 9, &RunSpread::miss_rate},
    };
    if (pngs != nullptr) {
        pngs->push_back("seeds.png");
    }
    std::ostringstream out;
    out << "\n# Per-seed values of the main figures (seeds.dat) and their median with min-max "
           "(seeds-spread.dat).\n"
        << "set terminal pngcairo size 1200,450 noenhanced\n"
        << "set output 'seeds.png'\n"
        << "set multiplot layout 1,3 title '" << quote_free(title) << ": " << agg.seeds.size()
        << " seeds (points: one per seed; bars: median, min-max)'\n"
        << "unset title\nset xlabel ''\nset ylabel ''\nset yrange [0:*]\nset key below horizontal\n"
        << "set xrange [-0.5:"
        << (agg.runs.empty() ? 0.5 : static_cast<double>(agg.runs.size()) - 0.5)
        << "]\n"
        // Sweeps have long labels side by side: slanted they do not overlap; the offset
        // keeps the highest point off the frame.
        << "set offsets 0, 0, graph 0.05, 0\nset xtics rotate by 30 right (";
    for (std::size_t i = 0; i < agg.runs.size(); ++i) {
        out << (i == 0 ? "" : ", ") << '\'' << quote_free(agg.runs[i].label) << "' " << i;
    }
    out << ")\n";
    for (const auto& p : kPanels) {
        out << "set title '" << p.what << "'\n";
        const bool any = std::any_of(agg.runs.begin(), agg.runs.end(),
                                     [&](const RunSpread& r) { return (r.*p.spread).count > 0; });
        if (!any) {
            // gnuplot stops on a plot with no valid point.
            out << "set label 1 'no data' at graph 0.5, 0.5 center\nplot 0 notitle\nunset label "
                   "1\n";
            continue;
        }
        out << "plot 'seeds.dat' using 1:" << p.seed_column
            << " with points pt 7 ps 1.2 title 'seed', \\\n     'seeds-spread.dat' using 1:"
            << p.spread_column << ':' << p.spread_column + 1 << ':' << p.spread_column + 2
            << " with yerrorbars pt 5 ps 1.5 lw 2 title 'median, min-max'\n";
    }
    out << "unset multiplot\n";
    return out.str();
}

}  // namespace p2pls::experiments
