// p2pls-testbed: runs whole swarms of real p2pls processes on this machine and compares
// native and DECADE-assisted streaming the way the draft's §7-8 did (DESIGN.md §6).
// Flags and files here; the controller is experiments/process/runner, the numbers come
// from experiments/core.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "common/cli/parse_flags.hpp"
#include "common/core/proto_json.hpp"
#include "experiments/core/claims.hpp"
#include "experiments/core/plan.hpp"
#include "experiments/core/scenario.hpp"
#include "experiments/core/schedule.hpp"
#include "experiments/core/seed_summary.hpp"
#include "experiments/core/summary.hpp"
#include "experiments/core/trace_report.hpp"
#include "experiments/process/children.hpp"
#include "experiments/process/files.hpp"
#include "experiments/process/runner.hpp"
#include "experiments/process/tls_files.hpp"
#include "experiments/sim/sim_runner.hpp"

namespace {

namespace fs = std::filesystem;
using namespace p2pls::experiments;
using std::chrono::milliseconds;

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

// More repetitions than this is a typo rather than an experiment (each one reruns every
// mode and sweep value).
constexpr int kMaxSeeds = 1000;

// The README's demo: the draft's flash-crowd comparison at a size two cores carry.
constexpr const char* kDemoScenario = R"(name = "demo"
description = "The draft's P2P live-streaming comparison (§7-8) at laptop size: a flash crowd of peers, native (each peer uploads at most Bu) vs DECADE (peers upload nothing; the DECADE servers together get N x Bu)."
seed = 42
duration_s = 60
modes = ["native", "decade"]

[stream]
bitrate_kbps = 300
chunk_ms = 1000
width = 320
height = 240
fps = 15

[source]
upload = "150k"   # bytes/s: about 4 x the stream, so the swarm must help

[peers]
count = 20
upload = "75k"    # Bu, bytes/s: 2 x the stream rate
arrival = "flash-crowd"
flash_crowd_s = 10

[network]
one_way_delay_ms = 20
regions = [{ name = "east", share = 1 }, { name = "west", share = 1 }]

[decade]
object_chunks = 1
slots = 4

[[decade.servers]]
region = "east"

[[decade.servers]]
region = "west"
)";

void fail_line(const std::string& message) {
    std::fprintf(stderr, "p2pls-testbed: %s\n", message.c_str());
}

std::string self_dir() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : exe.parent_path().string();
}

std::string utc_stamp() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

std::string help_of(const std::string& bin_dir, const std::string& name, const std::string& dir) {
    const std::string exe = bin_dir + "/" + name;
    if (access(exe.c_str(), X_OK) != 0) {
        return "";
    }
    const std::string out = dir + "/" + name + ".help.txt";
    const auto code = run_to_end({exe, "--help"}, out, milliseconds(10'000));
    if (code != 0) {
        return "";
    }
    return read_tail(out, 1 << 20).value_or("");
}

struct RunSpec {
    Scenario scenario;
    Mode mode;
    std::string label;
};

std::string sweep_label(const Scenario& s, double v) {
    std::ostringstream out;
    if (s.sweep_parameter == "decade.object_chunks") {
        out << "k=" << v;
    } else if (s.sweep_parameter == "decade.slots") {
        out << "m=" << v;
    } else if (s.sweep_parameter == "peers.count") {
        out << "N=" << v;
    } else if (s.sweep_parameter == "peers.upload") {
        out << "Bu=" << v / 1000 << "k";
    } else {
        out << "delay=" << v << "ms";
    }
    return out.str();
}

std::vector<RunSpec> expand_runs(const Scenario& s) {
    std::vector<RunSpec> runs;
    if (s.sweep_parameter.empty()) {
        for (const Mode m : s.modes) {
            runs.push_back({s, m, std::string(to_string(m))});
        }
        return runs;
    }
    // k and m only change DECADE mode: native runs once, as the baseline.
    const bool decade_only =
        s.sweep_parameter == "decade.object_chunks" || s.sweep_parameter == "decade.slots";
    for (const Mode m : s.modes) {
        if (m == Mode::native && decade_only) {
            runs.push_back({with_sweep_value(s, s.sweep_values.front()), m, "native"});
            continue;
        }
        for (const double v : s.sweep_values) {
            runs.push_back(
                {with_sweep_value(s, v), m, std::string(to_string(m)) + " " + sweep_label(s, v)});
        }
    }
    return runs;
}

std::string schedule_csv(const Scenario& s) {
    std::ostringstream out;
    out << "at_s,event,peer,session,graceful\n";
    for (const auto& e : make_schedule(s)) {
        out << e.at_s << ',' << (e.kind == PeerEvent::Kind::start ? "start" : "stop") << ','
            << e.peer << ',' << e.session << ',' << (e.graceful ? 1 : 0) << '\n';
    }
    return out.str();
}

// Encodes the replay clip once (no encoder in the source afterwards). Empty on failure:
// the source then encodes its live test pattern.
std::string make_clip(const Scenario& s, double seconds, const std::string& out_dir) {
    const std::string file = out_dir + "/clip.ts";
    std::fprintf(stderr, "p2pls-testbed: encoding a %.0f s replay clip (%u kbit/s %ux%u)...\n",
                 seconds, s.bitrate_kbps, s.width, s.height);
    const auto code = run_to_end(clip_command(s, seconds, file), out_dir + "/clip.log",
                                 milliseconds(static_cast<std::int64_t>(seconds * 1000) + 60'000));
    std::error_code ec;
    if (code != 0 || fs::file_size(file, ec) == 0 || ec) {
        fail_line("could not encode the replay clip (see " + out_dir +
                  "/clip.log); the source will encode live");
        return "";
    }
    return file;
}

// What `check` prints: the runs, both supply totals, the schedule and the regions.
std::string describe(const Scenario& s) {
    std::ostringstream out;
    const Supply supply = supply_of(s);
    out << s.name << ": valid\n";
    out << "runs:";
    for (const auto& r : expand_runs(s)) {
        out << " [" << r.label << "]";
    }
    out << "\nsupply: native N x Bu = " << s.peers << " x " << s.peer_upload_bps
        << " B/s = " << supply.native_peers_bps
        << " B/s; DECADE servers total = " << supply.decade_servers_bps << " B/s";
    for (std::size_t i = 0; i < s.decade_servers.size(); ++i) {
        out << (i == 0 ? " (" : ", ") << "server " << i << " "
            << (s.decade_servers[i].region.empty() ? "default" : s.decade_servers[i].region) << ": "
            << server_egress_bps(s, i) << " B/s" << (i + 1 == s.decade_servers.size() ? ")" : "");
    }
    out << "; source " << supply.source_bps << " B/s\n";
    const auto events = make_schedule(s);
    std::size_t starts = 0;
    double last_start = 0;
    for (const auto& e : events) {
        if (e.kind == PeerEvent::Kind::start) {
            ++starts;
            last_start = std::max(last_start, e.at_s);
        }
    }
    out << "schedule: " << starts << " session starts (last at " << last_start << " s), "
        << events.size() - starts << " leaves, over " << s.duration_s << " s per run\n";
    if (!s.regions.empty()) {
        const auto regions = assign_regions(s);
        std::vector<std::size_t> count(s.regions.size(), 0);
        for (const auto r : regions) {
            ++count[r];
        }
        out << "regions:";
        for (std::size_t i = 0; i < s.regions.size(); ++i) {
            out << " " << s.regions[i].name << "=" << count[i] << " peers ("
                << s.regions[i].one_way_delay_ms << " ms)";
        }
        out << "\n";
    }
    return out.str();
}

struct Options {
    std::string out;
    std::string bin_dir;
    bool netns = false;
    bool tls = false;
    bool sim = false;
    bool live = false;
    bool trace = false;
    int seeds = 1;  // repetitions of the whole comparison, seed, seed + 1, ...
};

// What every seed's runs share: one copy of the executables, their capabilities, one
// clip, one netns lab, one CA.
struct Shared {
    const Options& opt;
    Capabilities caps{};
    std::string clip{};
    NetnsLab* lab = nullptr;
    const TlsFiles* tls = nullptr;
};

struct SeedRuns {
    std::vector<RunSpec> runs;
    std::vector<RunResult> results;  // one per run started; fewer when interrupted
    bool interrupted = false;
};

// Every run of `scenario` (modes and sweep values), each in dir/<run-slug>. `tag` names
// the seed in progress lines ("" for a single seed).
SeedRuns run_comparison(const Scenario& scenario, const std::string& dir, const Shared& shared,
                        const std::string& tag) {
    SeedRuns out;
    out.runs = expand_runs(scenario);
    const bool tty = isatty(2) != 0;
    std::error_code ec;
    for (std::size_t i = 0; i < out.runs.size(); ++i) {
        const auto& r = out.runs[i];
        std::fprintf(stderr, "p2pls-testbed: %srun %zu/%zu: %s\n", tag.c_str(), i + 1,
                     out.runs.size(), r.label.c_str());
        RunOptions ro;
        ro.paths = {.bin_dir = shared.opt.bin_dir,
                    .run_dir = dir + "/" + slug(r.label),
                    .clip = shared.clip};
        ro.caps = shared.caps;
        if (shared.lab != nullptr) {
            ro.paths.service_host = shared.lab->host_address();
            ro.lab = shared.lab;
        }
        ro.paths.trace = shared.opt.trace;
        if (shared.tls != nullptr) {
            ro.paths.tls_ca = shared.tls->ca;
            ro.paths.tls_cert = shared.tls->cert;
            ro.paths.tls_key = shared.tls->key;
        }
        std::size_t ticks = 0;
        ro.on_progress = [&](const std::string& line) {
            if (tty) {
                std::fprintf(stderr, "\r%s\033[K", line.c_str());
                if (line.empty()) {
                    std::fprintf(stderr, "\r\033[K");
                }
            } else if (!line.empty() && ticks++ % 5 == 0) {
                std::fprintf(stderr, "%s\n", line.c_str());
            }
            std::fflush(stderr);
        };
        if (shared.opt.sim) {
            out.results.push_back(run_sim(
                r.scenario, r.mode, r.label, ro.on_progress, [] { return stop_requested(); },
                shared.opt.trace));
            // The same report files as a process run: each session's final line.
            fs::create_directories(ro.paths.run_dir + "/reports", ec);
            for (const auto& session : out.results.back().sessions) {
                write_file(peer_report_file(ro.paths, session.peer, session.session),
                           p2pls::to_json(session.last) + "\n");
            }
            if (shared.opt.trace) {
                std::string lines;
                for (const auto& t : out.results.back().traces) {
                    lines += p2pls::to_json(t) + "\n";
                }
                write_file(ro.paths.run_dir + "/traces.jsonl", lines);
            }
        } else {
            out.results.push_back(run_mode(r.scenario, r.mode, r.label, ro));
        }
        const auto& res = out.results.back();
        if (shared.opt.trace && res.available) {
            write_file(ro.paths.run_dir + "/trace.md",
                       trace_markdown(r.label, res.traces, r.scenario.chunk_ms / 1000.0));
            std::fprintf(stderr, "p2pls-testbed: %s: trace: %s/trace.md\n", r.label.c_str(),
                         ro.paths.run_dir.c_str());
        }
        if (!res.available) {
            std::fprintf(stderr, "p2pls-testbed: %s: %s\n", r.label.c_str(),
                         res.unavailable.c_str());
        } else if (!res.failure.empty()) {
            std::fprintf(stderr, "p2pls-testbed: %s: %s\n", r.label.c_str(), res.failure.c_str());
        }
        if (stop_requested()) {
            out.interrupted = true;
            break;
        }
    }
    return out;
}

struct Plots {
    std::vector<std::string> pngs;
    bool drawn = false;
};

// The CDF data files and plots.gnuplot in plot_dir, then gnuplot; `extra` is appended
// to the script (the seeds plot).
Plots draw_plots(const std::string& plot_dir, const std::vector<PlotSeries>& series,
                 const std::string& title, const std::string& extra = "",
                 const std::vector<std::string>& extra_pngs = {}) {
    std::error_code ec;
    fs::create_directories(plot_dir, ec);
    for (std::size_t i = 0; i < series.size(); ++i) {
        const auto& p = series[i];
        const std::string base = plot_dir + "/" + std::to_string(i) + "-";
        write_file(base + "startup.dat", cdf_data(p.startup_s, p.reported));
        write_file(base + "miss.dat", cdf_data(p.miss_rate_percent));
        write_file(base + "freezes.dat", cdf_data(p.freezes));
        write_file(base + "upload.dat", cdf_data(p.upload_kbps));
    }
    Plots plots;
    write_file(plot_dir + "/plots.gnuplot", gnuplot_script(series, title, &plots.pngs) + extra);
    plots.pngs.insert(plots.pngs.end(), extra_pngs.begin(), extra_pngs.end());
    plots.drawn =
        run_to_end({"gnuplot", "-e", "cd '" + plot_dir + "'", plot_dir + "/plots.gnuplot"},
                   plot_dir + "/gnuplot.log", milliseconds(60'000), false) == 0;
    return plots;
}

struct SeedOutputs {
    std::vector<RunSummary> summaries;
    std::vector<PlotSeries> series;
    Plots plots;
};

// One seed's summary.csv, summary.md and plots in dir: what a single run has always
// written.
SeedOutputs write_seed_outputs(const Scenario& scenario, const std::string& dir,
                               const SeedRuns& seed) {
    SeedOutputs out;
    for (std::size_t i = 0; i < seed.results.size(); ++i) {
        out.summaries.push_back(summarize(seed.results[i], seed.runs[i].scenario.bitrate_kbps));
        if (seed.results[i].available) {
            out.series.push_back(plot_series(seed.results[i]));
        }
    }
    write_file(dir + "/summary.csv", summary_csv(out.summaries));
    write_file(dir + "/summary.md", summary_markdown(scenario, out.summaries));
    out.plots = draw_plots(dir + "/plots", out.series, scenario.name);
    return out;
}

void print_plot_paths(const std::string& plot_dir, const Plots& plots) {
    if (plots.drawn) {
        for (const auto& png : plots.pngs) {
            std::printf("plot:    %s/%s\n", plot_dir.c_str(), png.c_str());
        }
    } else {
        std::printf("plots: gnuplot failed (see %s/gnuplot.log)\n", plot_dir.c_str());
    }
}

int exit_code(bool interrupted, const std::vector<const std::vector<RunResult>*>& all) {
    if (interrupted) {
        return kExitInterrupted;
    }
    for (const auto* results : all) {
        for (const auto& r : *results) {
            if (r.available && !r.failure.empty()) {
                return kExitRunFailed;
            }
        }
    }
    return kExitOk;
}

// --seeds 1: the comparison once, everything in the output folder itself.
int run_one_seed(const Scenario& scenario, const Shared& shared) {
    const std::string& out = shared.opt.out;
    write_file(out + "/schedule.csv", schedule_csv(scenario));
    const SeedRuns seed = run_comparison(scenario, out, shared, "");
    const SeedOutputs written = write_seed_outputs(scenario, out, seed);

    std::printf("\n%s\n", summary_table_text(written.summaries).c_str());
    for (const auto& s : written.summaries) {
        if (!s.note.empty()) {
            std::printf("%s: %s\n", s.label.c_str(), s.note.c_str());
        }
    }
    std::printf("\n%s", ratios_text(written.summaries).c_str());
    std::printf("\n%s", claims_text(written.summaries).c_str());
    std::printf("\nsummary: %s/summary.md\n         %s/summary.csv\n", out.c_str(), out.c_str());
    print_plot_paths(out + "/plots", written.plots);
    std::fflush(stdout);
    return exit_code(seed.interrupted, {&seed.results});
}

// --seeds N > 1: the comparison N times, seed i in <out>/seed-<seed + i>/ laid out like a
// single run; the aggregate over the seeds that finished at the top.
int run_seeds(const Scenario& scenario, const Shared& shared) {
    const std::string& out = shared.opt.out;
    const auto n = static_cast<std::uint64_t>(shared.opt.seeds);
    std::vector<SeedResult> seeds;
    std::vector<std::vector<PlotSeries>> series;
    std::vector<std::vector<RunResult>> results;
    bool interrupted = false;
    for (std::uint64_t i = 0; i < n && !interrupted; ++i) {
        Scenario seeded = scenario;
        seeded.seed = scenario.seed + i;
        const std::string dir = out + "/seed-" + std::to_string(seeded.seed);
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
            fail_line("cannot create " + dir + ": " + ec.message());
            return kExitUsage;
        }
        write_file(dir + "/schedule.csv", schedule_csv(seeded));
        const std::string tag = "seed " + std::to_string(seeded.seed) + " (" +
                                std::to_string(i + 1) + "/" + std::to_string(n) + "), ";
        SeedRuns seed = run_comparison(seeded, dir, shared, tag);
        interrupted = seed.interrupted;
        SeedOutputs written = write_seed_outputs(seeded, dir, seed);
        std::fprintf(stderr, "p2pls-testbed: seed %llu %s: %s/summary.md\n",
                     static_cast<unsigned long long>(seeded.seed),
                     interrupted ? "interrupted (left out of the aggregate)" : "done", dir.c_str());
        seeds.push_back(
            {.seed = seeded.seed, .complete = !interrupted, .runs = std::move(written.summaries)});
        if (!interrupted) {
            series.push_back(std::move(written.series));
        }
        results.push_back(std::move(seed.results));
    }

    const SeedAggregate agg = aggregate_seeds(seeds);
    write_file(out + "/summary.md", seeds_markdown(scenario, agg));
    write_file(out + "/summary.csv", seeds_csv(agg));
    write_file(out + "/summary-seeds.csv", per_seed_csv(seeds));
    const std::string plot_dir = out + "/plots";
    std::vector<std::string> seed_pngs;
    const std::string seeds_script =
        agg.seeds.empty() ? std::string() : seeds_gnuplot_script(agg, scenario.name, &seed_pngs);
    write_file(plot_dir + "/seeds.dat", seeds_plot_data(agg));
    write_file(plot_dir + "/seeds-spread.dat", seeds_spread_data(agg));
    const Plots plots =
        draw_plots(plot_dir, pool_series(series),
                   scenario.name + " (" + std::to_string(agg.seeds.size()) + " seeds pooled)",
                   seeds_script, seed_pngs);

    std::printf("\n%s: median [min–max] over %zu seed%s\n\n%s\n", scenario.name.c_str(),
                agg.seeds.size(), agg.seeds.size() == 1 ? "" : "s", seeds_table_text(agg).c_str());
    for (const auto& r : agg.runs) {
        for (const auto& note : r.notes) {
            std::printf("%s: %s\n", r.label.c_str(), note.c_str());
        }
    }
    if (!agg.left_out.empty()) {
        std::printf("left out (interrupted): seed %llu\n",
                    static_cast<unsigned long long>(agg.left_out.front()));
    }
    if (!agg.seeds.empty()) {
        std::printf("\n%s", seeds_ratios_text(agg).c_str());
        std::printf("\n%s", seeds_claims_text(agg).c_str());
    }
    std::printf(
        "\nsummary: %s/summary.md\n         %s/summary.csv (per run label)\n"
        "         %s/summary-seeds.csv (per seed and run)\n"
        "seeds:   %s/seed-<seed>/summary.md\n",
        out.c_str(), out.c_str(), out.c_str(), out.c_str());
    print_plot_paths(plot_dir, plots);
    std::fflush(stdout);
    std::vector<const std::vector<RunResult>*> all;
    for (const auto& r : results) {
        all.push_back(&r);
    }
    return exit_code(interrupted, all);
}

int run_scenario(const Scenario& scenario, const std::string& scenario_text, Options opt) {
    if (opt.sim && (opt.netns || opt.tls)) {
        // The simulator has no sockets to put in namespaces or to encrypt.
        fail_line(opt.netns ? "--netns and --sim exclude each other"
                            : "--tls and --sim exclude each other");
        return kExitUsage;
    }
    if (opt.bin_dir.empty()) {
        opt.bin_dir = self_dir();
    }
    if (opt.out.empty()) {
        opt.out = "testbed-out/" + scenario.name + "-" + utc_stamp();
    }
    std::error_code ec;
    fs::create_directories(opt.out + "/plots", ec);
    if (ec) {
        fail_line("cannot create " + opt.out + ": " + ec.message());
        return kExitUsage;
    }
    opt.out = fs::absolute(opt.out).lexically_normal().string();
    if (!opt.out.empty() && opt.out.back() == '/') {
        opt.out.pop_back();
    }
    install_stop_handlers();
    write_file(opt.out + "/scenario.toml", scenario_text);

    if (!opt.sim) {
        // Run from a private copy of the executables: every run of the experiment uses the
        // same build, even if the build folder is rebuilt meanwhile.
        const std::string private_bin = opt.out + "/bin";
        fs::create_directories(private_bin, ec);
        for (const char* name : {"p2pls-tracker", "p2pls-source", "p2pls-peer", "decade-server"}) {
            const fs::path from = fs::path(opt.bin_dir) / name;
            if (fs::exists(from, ec)) {
                fs::copy_file(from, fs::path(private_bin) / name,
                              fs::copy_options::overwrite_existing, ec);
                if (ec) {
                    fail_line("cannot copy " + from.string() + " to " + private_bin + ": " +
                              ec.message());
                    return kExitUsage;
                }
            }
        }
        opt.bin_dir = private_bin;
    }
    const std::string help_dir = opt.out + "/help";
    if (!opt.sim) {
        fs::create_directories(help_dir, ec);
    }
    Shared shared{.opt = opt};
    shared.caps = opt.sim ? Capabilities{}
                          : detect_capabilities(help_of(opt.bin_dir, "p2pls-tracker", help_dir),
                                                help_of(opt.bin_dir, "p2pls-source", help_dir),
                                                help_of(opt.bin_dir, "p2pls-peer", help_dir),
                                                help_of(opt.bin_dir, "decade-server", help_dir));
    const Supply supply = supply_of(scenario);
    std::fprintf(stderr,
                 "p2pls-testbed: %s: N = %u peers, %.0f s per run; supply: native N x Bu = %.2f "
                 "Mbit/s, DECADE servers total = %.2f Mbit/s\n",
                 scenario.name.c_str(), scenario.peers, scenario.duration_s,
                 static_cast<double>(supply.native_peers_bps) * 8 / 1e6,
                 static_cast<double>(supply.decade_servers_bps) * 8 / 1e6);
    if (opt.seeds > 1) {
        std::fprintf(stderr, "p2pls-testbed: %d seeds, %llu to %llu: every run %d times\n",
                     opt.seeds, static_cast<unsigned long long>(scenario.seed),
                     static_cast<unsigned long long>(scenario.seed + opt.seeds - 1), opt.seeds);
    }

    // The seed changes neither the list of runs nor their length: one clip serves all.
    const auto runs = expand_runs(scenario);
    if (!scenario.replay.empty()) {
        shared.clip = fs::absolute(scenario.replay).string();
        if (!fs::exists(shared.clip, ec)) {
            fail_line("stream.replay: no such file: " + shared.clip);
            return kExitUsage;
        }
    } else if (shared.caps.source_replay && !opt.live && !opt.sim) {
        bool needed = false;
        double longest = 0;
        for (const auto& r : runs) {
            needed = needed || !mode_unavailable(r.mode, shared.caps);
            longest = std::max(longest, r.scenario.duration_s);
        }
        if (needed) {
            // Long enough for a whole run, so no loop seam falls inside it.
            shared.clip = make_clip(scenario, std::min(longest + 30, 1800.0), opt.out);
        }
    }

    std::unique_ptr<NetnsLab> lab;
    if (opt.netns) {
        std::uint32_t most_peers = 0;
        std::uint64_t most_upload = 0;
        for (const auto& r : runs) {
            most_peers = std::max(most_peers, r.scenario.peers);
            most_upload = std::max(most_upload, r.scenario.peer_upload_bps);
        }
        std::string why;
        std::fprintf(stderr, "p2pls-testbed: --netns: %u namespaces with HTB upload shaping...\n",
                     most_peers);
        lab = NetnsLab::create(most_peers, most_upload, opt.out, why);
        if (!lab) {
            fail_line("--netns: " + why);
            return kExitUsage;
        }
        if (lab->leftovers_removed() > 0) {
            std::fprintf(stderr,
                         "p2pls-testbed: --netns: removed %u namespaces and interfaces left "
                         "by testbeds that were killed\n",
                         lab->leftovers_removed());
        }
        shared.lab = lab.get();
    }

    std::optional<TlsFiles> tls;
    if (opt.tls) {
        std::string why;
        // The tracker's address and every DECADE server's (each region's in the loopback
        // lab).
        RunPaths where;
        where.service_host = lab ? lab->host_address() : "127.0.0.1";
        tls = make_tls_files(opt.out + "/tls", service_addresses(scenario, where), why);
        if (!tls) {
            fail_line("--tls: " + why);
            return kExitUsage;
        }
        shared.tls = &*tls;
    }

    return opt.seeds > 1 ? run_seeds(scenario, shared) : run_one_seed(scenario, shared);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "p2pls-testbed: runs a swarm of real p2pls processes on this machine (tracker, source,\n"
        "DECADE servers, N peers) as a scenario says, and compares native and DECADE-assisted\n"
        "streaming like draft-ietf-decade-integration-example-02 §7-8: startup delay, piece\n"
        "miss rate, freezes, peer upload rate, bytes by origin. Writes every peer's report,\n"
        "summary.csv, summary.md and PNG plots (gnuplot) to the output folder.\n"
        "Exit codes: 0 done, 1 a run failed, 2 bad usage or scenario, 130 interrupted."};
    app.require_subcommand(1);
    Options opt;
    std::string scenario_path;
    std::uint32_t demo_peers = 0;
    double demo_duration = 0;

    auto* run = app.add_subcommand("run", "Run SCENARIO.toml (see experiments/scenarios/)");
    run->add_option("scenario", scenario_path, "scenario file (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
    std::string check_path;
    auto* check = app.add_subcommand(
        "check", "Validate SCENARIO.toml and show what a run would do (runs, supply, schedule)");
    check->add_option("scenario", check_path, "scenario file (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
    auto* demo = app.add_subcommand(
        "demo", "The README's demo: the draft's native-vs-DECADE flash crowd, 20 peers, 60 s");
    demo->add_option("--peers", demo_peers, "number of peers (default 20)")
        ->check(CLI::Range(1, 500));
    demo->add_option("--duration", demo_duration, "seconds per run (default 60)")
        ->check(CLI::Range(15.0, 3600.0));
    Options run_opt;
    Options demo_opt;
    for (auto [sub, o] : {std::pair{run, &run_opt}, std::pair{demo, &demo_opt}}) {
        sub->add_option("--out", o->out,
                        "output folder (default testbed-out/<scenario>-<UTC time>)");
        sub->add_option("--bin-dir", o->bin_dir,
                        "folder of p2pls-tracker, p2pls-source, p2pls-peer, decade-server "
                        "(default: this executable's folder)");
        sub->add_flag("--netns", o->netns,
                      "put each peer in its own network namespace (veth on a bridge) with an "
                      "HTB class shaping its upload to 1.25 x Bu (root only)");
        sub->add_flag("--sim", o->sim,
                      "run on the deterministic simulator (netsim/) with the real peer engines "
                      "instead of processes: both modes (DECADE against simulated DECADE "
                      "servers), thousands of peers, virtual time; not with --tls or --netns");
        sub->add_flag("--tls", o->tls,
                      "the tracker and DECADE servers serve HTTPS with a certificate from a CA "
                      "made for the run (in <out>/tls); every process verifies it");
        sub->add_option("--seeds", o->seeds,
                        "repeat the whole comparison N times, with the scenario's seed, seed + "
                        "1, ... (default 1); with N > 1 each seed's runs and summary go to "
                        "<out>/seed-<seed>/ and the top-level summary gives the median and "
                        "min-max over the seeds")
            ->check(CLI::Validator(
                [](std::string& text) -> std::string {
                    int n = 0;
                    const auto [end, ec] =
                        std::from_chars(text.data(), text.data() + text.size(), n);
                    if (ec != std::errc() || end != text.data() + text.size() || n < 1 ||
                        n > kMaxSeeds) {
                        return "must be a whole number from 1 to " + std::to_string(kMaxSeeds) +
                               " (how many times to repeat the comparison), not '" + text + "'";
                    }
                    return "";
                },
                "1.." + std::to_string(kMaxSeeds), "seed count"));
        sub->add_flag("--live", o->live,
                      "let the source encode its live test pattern instead of replaying a "
                      "pre-encoded clip (costs CPU)");
        sub->add_flag("--trace", o->trace,
                      "trace every chunk startup waited for, played late or missed (who it was "
                      "asked from, DECADE batches, Busy/503 answers, fallbacks, step times): "
                      "<run>/trace.md and <run>/traces/");
    }
    if (const auto done = p2pls::cli::parse_flags(app, argc, argv, "p2pls-testbed")) {
        return *done;
    }
    opt = run->parsed() ? run_opt : demo_opt;

    std::string text;
    std::string origin;
    if (check->parsed()) {
        scenario_path = check_path;
    }
    if (run->parsed() || check->parsed()) {
        std::ifstream in(scenario_path, std::ios::binary);
        std::ostringstream buf;
        buf << in.rdbuf();
        if (!in && !in.eof()) {
            fail_line("cannot read " + scenario_path);
            return kExitUsage;
        }
        text = buf.str();
        origin = scenario_path;
    } else {
        text = kDemoScenario;
        origin = "demo";
    }
    auto parsed = parse_scenario(text, origin);
    if (auto* e = std::get_if<ParseError>(&parsed)) {
        fail_line(e->message);
        return kExitUsage;
    }
    Scenario scenario = std::get<Scenario>(parsed);
    if (demo->parsed()) {
        if (demo_peers != 0) {
            scenario.peers = demo_peers;
        }
        if (demo_duration != 0) {
            scenario.duration_s = demo_duration;
        }
        if (auto problem = validate(scenario)) {
            fail_line("demo: " + *problem);
            return kExitUsage;
        }
    }
    if (check->parsed()) {
        std::printf("%s", describe(scenario).c_str());
        return kExitOk;
    }
    return run_scenario(scenario, text, opt);
}
