#include "experiments/core/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/core/proto_json.hpp"
#include "experiments/core/claims.hpp"
#include "experiments/core/text_format.hpp"

namespace p2pls::experiments {

std::optional<report::QoeReport> last_report(std::string_view jsonl, std::size_t* errors) {
    std::size_t bad = 0;
    std::optional<report::QoeReport> best;
    // Walk backwards: the last good line wins, and a long file is not parsed whole.
    std::size_t end = jsonl.size();
    while (end > 0) {
        std::size_t begin = jsonl.rfind('\n', end - 1);
        begin = begin == std::string_view::npos ? 0 : begin + 1;
        const std::string_view line = jsonl.substr(begin, end - begin);
        if (!line.empty() && line.find_first_not_of(" \t\r") != std::string_view::npos) {
            report::QoeReport r;
            if (line.size() <= 64 * 1024 && !parse_json(line, r).has_value()) {
                best = std::move(r);
                break;
            }
            ++bad;
        }
        if (begin == 0) {
            break;
        }
        end = begin - 1;
    }
    if (errors != nullptr) {
        *errors = bad;
    }
    return best;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return -1;
    }
    std::sort(values.begin(), values.end());
    p = std::clamp(p, 0.0, 100.0);
    const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(rank));
    const auto hi = std::min(lo + 1, values.size() - 1);
    const double frac = rank - static_cast<double>(lo);
    return values[lo] + (values[hi] - values[lo]) * frac;
}

namespace {

double upload_kbps_of(const report::QoeReport& r) {
    if (r.elapsed_s() <= 0) {
        return 0;
    }
    return static_cast<double>(r.upload_media_bytes()) * 8.0 / 1000.0 / r.elapsed_s();
}

// "1.23" for decade / native, "-" when undefined (see decade_native_ratio).
std::string ratio(double decade, double native) {
    const auto r = decade_native_ratio(decade, native);
    return r ? fixed(*r, 2) : std::string("-");
}

struct Row {
    std::string name;
    std::string (*cell)(const RunSummary&);
};

const std::vector<Row>& rows() {
    static const std::vector<Row> kRows = {
        {"peers (N) / sessions",
         [](const RunSummary& s) {
             return std::to_string(s.peers) + " / " + std::to_string(s.sessions);
         }},
        {"sessions reported (final)",
         [](const RunSummary& s) {
             return std::to_string(s.reported) + " (" + std::to_string(s.final_reports) + ")";
         }},
        {"sessions that started playing",
         [](const RunSummary& s) { return std::to_string(s.started); }},
        {"startup delay p50", [](const RunSummary& s) { return seconds_or_dash(s.startup_p50_s); }},
        {"startup delay p95", [](const RunSummary& s) { return seconds_or_dash(s.startup_p95_s); }},
        {"piece miss rate",
         [](const RunSummary& s) {
             return fixed(s.miss_rate * 100, 3) + " % (" + std::to_string(s.chunks_missed) + "/" +
                    std::to_string(s.chunks_due) + ")";
         }},
        {"freezes per peer", [](const RunSummary& s) { return fixed(s.freezes_per_peer, 2); }},
        {"total stalled time",
         [](const RunSummary& s) { return fixed(s.stalled_total_s, 1) + " s"; }},
        {"avg peer media upload",
         [](const RunSummary& s) { return fixed(s.upload_kbps_mean, 1) + " kbit/s"; }},
        {"peers uploading > stream rate",
         [](const RunSummary& s) { return fixed(s.upload_over_stream * 100, 0) + " %"; }},
        {"peer media upload bytes",
         [](const RunSummary& s) { return bytes_human(s.upload_media_bytes); }},
        {"bytes from source", [](const RunSummary& s) { return bytes_human(s.bytes_from_source); }},
        {"bytes from peers", [](const RunSummary& s) { return bytes_human(s.bytes_from_peers); }},
        {"bytes from DECADE", [](const RunSummary& s) { return bytes_human(s.bytes_from_decade); }},
        {"signalling overhead (control/media)",
         [](const RunSummary& s) { return fixed(s.control_overhead * 100, 2) + " %"; }},
        {"chunks rejected", [](const RunSummary& s) { return std::to_string(s.chunks_rejected); }},
        {"supply (peers' or servers' total)",
         [](const RunSummary& s) { return rate_human(s.supply_bps); }},
        {"CPU of the run's processes",
         [](const RunSummary& s) {
             if (s.cpu_s < 0 || s.duration_s <= 0) {
                 return std::string("-");
             }
             return fixed(s.cpu_s, 1) + " s (" + fixed(s.cpu_s / s.duration_s * 100, 0) +
                    " % of a core)";
         }},
        {"source capacity",
         [](const RunSummary& s) {
             return s.source_bps == 0 ? std::string("unlimited") : rate_human(s.source_bps);
         }},
    };
    return kRows;
}

}  // namespace

RunSummary summarize(const RunResult& run, std::uint32_t stream_kbps) {
    RunSummary s;
    s.label = run.label;
    s.mode = run.mode;
    s.available = run.available;
    s.note = run.available ? run.failure : run.unavailable;
    s.peers = run.peers;
    s.supply_bps = run.supply_bps;
    s.source_bps = run.source_bps;
    s.duration_s = run.duration_s;
    s.cpu_s = run.cpu_s;
    s.sessions = run.sessions.size();
    if (!run.available) {
        return s;
    }
    std::vector<double> startups;
    double upload_sum = 0;
    std::size_t over_stream = 0;
    std::uint64_t freezes = 0;
    for (const auto& session : run.sessions) {
        if (!session.reported) {
            continue;
        }
        ++s.reported;
        s.final_reports += session.final ? 1 : 0;
        const auto& r = session.last;
        if (r.startup_delay_s() >= 0) {
            ++s.started;
            startups.push_back(r.startup_delay_s());
        }
        s.chunks_due += r.chunks_due();
        s.chunks_missed += r.chunks_missed();
        freezes += r.freezes();
        s.stalled_total_s += r.stalled_s();
        const double up = upload_kbps_of(r);
        upload_sum += up;
        over_stream += up > static_cast<double>(stream_kbps) ? 1 : 0;
        s.upload_media_bytes += r.upload_media_bytes();
        // Storage requests and replies are signalling too (DECADE mode).
        s.control_bytes +=
            r.upload_control_bytes() + r.download_control_bytes() + r.decade_control_bytes();
        s.download_media_bytes += r.download_media_bytes();
        s.bytes_from_source += r.bytes_from_source();
        s.bytes_from_peers += r.bytes_from_peers();
        s.bytes_from_decade += r.bytes_from_decade();
        s.chunks_rejected += r.chunks_rejected();
    }
    s.startup_p50_s = percentile(startups, 50);
    s.startup_p95_s = percentile(startups, 95);
    s.miss_rate = s.chunks_due == 0
                      ? 0
                      : static_cast<double>(s.chunks_missed) / static_cast<double>(s.chunks_due);
    if (s.reported > 0) {
        const auto n = static_cast<double>(s.reported);
        s.freezes_per_peer = static_cast<double>(freezes) / n;
        s.upload_kbps_mean = upload_sum / n;
        s.upload_over_stream = static_cast<double>(over_stream) / n;
    }
    s.control_overhead =
        s.download_media_bytes == 0
            ? 0
            : static_cast<double>(s.control_bytes) / static_cast<double>(s.download_media_bytes);
    return s;
}

std::string summary_csv(const std::vector<RunSummary>& runs) {
    std::ostringstream out;
    out << "run,mode,available,note,peers,sessions,reported,final_reports,started,startup_p50_s,"
           "startup_p95_s,chunks_due,chunks_missed,miss_rate,freezes_per_peer,stalled_total_s,"
           "upload_kbps_mean,upload_over_stream_share,upload_media_bytes,control_bytes,"
           "download_media_bytes,bytes_from_source,bytes_from_peers,bytes_from_decade,"
           "control_overhead,chunks_rejected,supply_bps,source_bps,cpu_s\n";
    for (const auto& s : runs) {
        out << csv_field(s.label) << ',' << to_string(s.mode) << ',' << (s.available ? 1 : 0) << ','
            << csv_field(s.note) << ',' << s.peers << ',' << s.sessions << ',' << s.reported << ','
            << s.final_reports << ',' << s.started << ',' << fixed(s.startup_p50_s, 3) << ','
            << fixed(s.startup_p95_s, 3) << ',' << s.chunks_due << ',' << s.chunks_missed << ','
            << fixed(s.miss_rate, 6) << ',' << fixed(s.freezes_per_peer, 3) << ','
            << fixed(s.stalled_total_s, 3) << ',' << fixed(s.upload_kbps_mean, 3) << ','
            << fixed(s.upload_over_stream, 3) << ',' << s.upload_media_bytes << ','
            << s.control_bytes << ',' << s.download_media_bytes << ',' << s.bytes_from_source << ','
            << s.bytes_from_peers << ',' << s.bytes_from_decade << ','
            << fixed(s.control_overhead, 6) << ',' << s.chunks_rejected << ',' << s.supply_bps
            << ',' << s.source_bps << ',' << fixed(s.cpu_s, 2) << '\n';
    }
    return out.str();
}

namespace {

std::string cell_of(const RunSummary& s, const Row& row) {
    if (!s.available) {
        return row.name == rows().front().name ? "not available in this build" : "-";
    }
    return row.cell(s);
}

}  // namespace

std::string scenario_markdown(const Scenario& scenario, bool with_seed) {
    std::ostringstream out;
    const Supply supply = supply_of(scenario);
    if (!scenario.description.empty()) {
        out << scenario.description << "\n\n";
    }
    out << "- peers N = " << scenario.peers << ", arrival " << to_string(scenario.arrival);
    if (scenario.arrival == Arrival::flash_crowd) {
        out << " within " << fixed(scenario.flash_crowd_s, 0) << " s";
    }
    if (scenario.churn.fraction > 0) {
        out << ", churn " << fixed(scenario.churn.fraction * 100, 0) << " % of peers";
    }
    if (const MassLeave& leave = scenario.mass_leave; leave.fraction > 0) {
        out << ", " << fixed(leave.fraction * 100, 0) << " % of those online leave at "
            << fixed(leave.at_s, 0) << " s";
        if (leave.rejoin_after_s) {
            out << " (back " << fixed(*leave.rejoin_after_s, 0) << " s later)";
        }
    }
    out << ", duration " << fixed(scenario.duration_s, 0) << " s";
    if (with_seed) {
        out << ", seed " << scenario.seed;
    }
    out << "\n";
    out << "- stream " << scenario.bitrate_kbps << " kbit/s, chunks of " << scenario.chunk_ms
        << " ms; DECADE objects of k = " << scenario.object_chunks
        << " chunks, m = " << scenario.slots << " connection slots\n";
    out << "- supply: native N x Bu = " << scenario.peers << " x "
        << rate_human(scenario.peer_upload_bps) << " = " << rate_human(supply.native_peers_bps)
        << "; DECADE servers total = " << rate_human(supply.decade_servers_bps) << " ("
        << scenario.decade_servers.size() << " servers); source "
        << (supply.source_bps == 0 ? std::string("unlimited") : rate_human(supply.source_bps))
        << " in both modes\n";
    return out.str();
}

std::string draft_numbers_markdown() {
    return "\n## The draft's numbers (draft-ietf-decade-integration-example-02 §8.2.1)\n\n"
           "PlanetLab + EC2, flash crowd, equal total supply: startup DECADE 35-40 s vs native "
           "110-120 s (ratio about 0.3); piece miss rate about 0.02 % in both; native froze "
           "40 % more than DECADE (DECADE/native about 0.7); DECADE peers uploaded nothing on "
           "their last mile, while over 70 % of native peers uploaded much more than the stream "
           "rate.\n";
}

std::optional<std::size_t> native_partner(const std::vector<RunSummary>& runs, std::size_t decade) {
    // A sweep over N, Bu or delay runs native once per value ("native N=10" pairs with
    // "decade N=10"); a k or m sweep has one native baseline for every DECADE run.
    const std::string_view prefix = to_string(Mode::decade);
    const std::string& label = runs[decade].label;
    const std::string suffix =
        label.rfind(prefix, 0) == 0 ? label.substr(prefix.size()) : std::string();
    const std::string same_value = std::string(to_string(Mode::native)) + suffix;
    std::optional<std::size_t> first;
    std::optional<std::size_t> first_reported;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].mode != Mode::native) {
            continue;
        }
        if (runs[i].label == same_value) {
            return i;
        }
        if (!first) {
            first = i;
        }
        if (!first_reported && runs[i].available && runs[i].reported > 0) {
            first_reported = i;
        }
    }
    return first_reported ? first_reported : first;
}

std::optional<double> decade_native_ratio(double decade, double native) {
    if (native <= 0 || decade < 0) {
        return std::nullopt;
    }
    return decade / native;
}

std::string summary_markdown(const Scenario& scenario, const std::vector<RunSummary>& runs) {
    std::ostringstream out;
    out << "# " << scenario.name << "\n\n" << scenario_markdown(scenario, true) << '\n';
    out << "| metric |";
    for (const auto& s : runs) {
        out << ' ' << s.label << " |";
    }
    out << "\n|---|";
    for (std::size_t i = 0; i < runs.size(); ++i) {
        out << "---|";
    }
    out << '\n';
    for (const auto& row : rows()) {
        out << "| " << row.name << " |";
        for (const auto& s : runs) {
            out << ' ' << cell_of(s, row) << " |";
        }
        out << '\n';
    }
    for (const auto& s : runs) {
        if (!s.note.empty()) {
            out << "\n**" << s.label << "**: " << s.note << '\n';
        }
    }

    bool any_ratio = false;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const RunSummary& s = runs[i];
        if (s.mode != Mode::decade) {
            continue;
        }
        if (!any_ratio) {
            out << "\n## DECADE / native ratios\n\n"
                << "| run | startup p50 | startup p95 | miss rate | freezes per peer | "
                   "stalled time | peer upload rate |\n|---|---|---|---|---|---|---|\n";
            any_ratio = true;
        }
        const auto partner = native_partner(runs, i);
        const RunSummary* native = partner ? &runs[*partner] : nullptr;
        const bool ok = native != nullptr && native->available && native->reported > 0 &&
                        s.available && s.reported > 0;
        out << "| " << s.label << " / " << (native != nullptr ? native->label : "native") << " | "
            << (ok ? ratio(s.startup_p50_s, native->startup_p50_s) : "-") << " | "
            << (ok ? ratio(s.startup_p95_s, native->startup_p95_s) : "-") << " | "
            << (ok ? ratio(s.miss_rate, native->miss_rate) : "-") << " | "
            << (ok ? ratio(s.freezes_per_peer, native->freezes_per_peer) : "-") << " | "
            << (ok ? ratio(s.stalled_total_s, native->stalled_total_s) : "-") << " | "
            << (ok ? ratio(s.upload_kbps_mean, native->upload_kbps_mean) : "-") << " |\n";
        if (!s.available) {
            out << "\n"
                << s.label << ": not available in this build (" << s.note
                << "); no DECADE numbers were measured.\n";
        }
    }
    out << claims_markdown(runs) << draft_numbers_markdown();
    return out.str();
}

std::string summary_table_text(const std::vector<RunSummary>& runs) {
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> header{"metric"};
    for (const auto& s : runs) {
        header.push_back(s.label);
    }
    cells.push_back(header);
    for (const auto& row : rows()) {
        std::vector<std::string> line{row.name};
        for (const auto& s : runs) {
            line.push_back(cell_of(s, row));
        }
        cells.push_back(line);
    }
    return aligned_table(cells);
}

std::string ratios_text(const std::vector<RunSummary>& runs) {
    std::ostringstream out;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const RunSummary& s = runs[i];
        if (s.mode != Mode::decade) {
            continue;
        }
        const auto partner = native_partner(runs, i);
        const RunSummary* native = partner ? &runs[*partner] : nullptr;
        if (native != nullptr && (!native->available || native->reported == 0)) {
            native = nullptr;
        }
        out << "DECADE/native (" << s.label << "): ";
        if (!s.available || s.reported == 0 || native == nullptr) {
            out << "no ratios: "
                << (!s.available ? s.note
                                 : (native == nullptr ? std::string("no native run reported")
                                                      : std::string("no DECADE peer reported")))
                << '\n';
            continue;
        }
        // "x-" reads like a number: an undefined ratio (e.g. native 0) is a bare dash.
        const auto times = [](double decade, double native_value) {
            const auto r = decade_native_ratio(decade, native_value);
            return r ? "x" + fixed(*r, 2) : std::string("-");
        };
        out << "startup p50 " << times(s.startup_p50_s, native->startup_p50_s) << ", miss rate "
            << times(s.miss_rate, native->miss_rate) << ", freezes "
            << times(s.freezes_per_peer, native->freezes_per_peer) << ", peer upload "
            << times(s.upload_kbps_mean, native->upload_kbps_mean) << '\n';
    }
    out << draft_ratios_text();
    return out.str();
}

std::string draft_ratios_text() {
    return "The draft (section 8.2.1): startup DECADE/native about 0.3 (35-40 s vs 110-120 s), "
           "miss rate about 1 (0.02 % both), freezes about 0.7 (native 40 % more), peer upload "
           "0 (DECADE peers uploaded nothing).\n";
}

PlotSeries plot_series(const RunResult& run) {
    PlotSeries p;
    p.label = run.label;
    for (const auto& session : run.sessions) {
        if (!session.reported) {
            continue;
        }
        ++p.reported;
        const auto& r = session.last;
        if (r.startup_delay_s() >= 0) {
            p.startup_s.push_back(r.startup_delay_s());
        }
        p.miss_rate_percent.push_back(r.miss_rate() * 100);
        p.freezes.push_back(r.freezes());
        p.upload_kbps.push_back(upload_kbps_of(r));
    }
    return p;
}

std::string cdf_data(std::vector<double> values, std::size_t population) {
    std::sort(values.begin(), values.end());
    const auto n = static_cast<double>(std::max(population, values.size()));
    std::ostringstream out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        out << fixed(values[i], 4) << ' ' << fixed(static_cast<double>(i + 1) / n, 4) << '\n';
    }
    return out.str();
}

std::string slug(std::string_view label) {
    std::string out;
    for (const char c : label) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_') {
            out += c;
        } else if (c == ' ' || c == '-' || c == '/') {
            if (!out.empty() && out.back() != '-') {
                out += '-';
            }
        }
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return out.empty() ? "run" : out;
}

std::string gnuplot_script(const std::vector<PlotSeries>& series, const std::string& title,
                           std::vector<std::string>* pngs) {
    struct Metric {
        const char* file;
        const char* xlabel;
        const char* what;
        std::vector<double> PlotSeries::*values;
    };
    static const Metric kMetrics[] = {
        {"startup", "startup delay (s)", "startup delay", &PlotSeries::startup_s},
        {"miss", "piece miss rate per peer (%)", "piece miss rate", &PlotSeries::miss_rate_percent},
        {"freezes", "freezes per peer", "freezes", &PlotSeries::freezes},
        {"upload", "peer media upload rate (kbit/s)", "peer upload rate", &PlotSeries::upload_kbps},
    };
    // gnuplot strings are single-quoted: drop quotes from labels rather than escape them.
    const auto quote_free = [](std::string s) {
        s.erase(std::remove(s.begin(), s.end(), '\''), s.end());
        return s;
    };
    std::ostringstream out;
    out << "# Made by p2pls-testbed; run with: gnuplot plots.gnuplot\n"
        << "set terminal pngcairo size 800,500 noenhanced\n"
        << "set grid\nset key bottom right\nset ylabel 'CDF (share of peers)'\n"
        << "set yrange [0:1.02]\n";
    for (const auto& m : kMetrics) {
        const std::string png = std::string(m.file) + ".png";
        if (pngs != nullptr) {
            pngs->push_back(png);
        }
        out << "\nset output '" << png << "'\n"
            << "set title '" << quote_free(title) << ": CDF of " << m.what << "'\n"
            << "set xlabel '" << m.xlabel << "'\n";
        std::vector<std::string> parts;
        for (std::size_t i = 0; i < series.size(); ++i) {
            if ((series[i].*m.values).empty()) {
                continue;  // gnuplot stops on a file with no points
            }
            const std::string file = std::to_string(i) + "-" + m.file + ".dat";
            parts.push_back("'" + file + "' using 1:2 with steps lw 2 title '" +
                            quote_free(series[i].label) + "'");
        }
        if (parts.empty()) {
            out << "set label 1 'no data' at graph 0.5, 0.5 center\nplot 0 notitle\nunset label "
                   "1\n";
            continue;
        }
        out << "plot ";
        for (std::size_t i = 0; i < parts.size(); ++i) {
            out << (i == 0 ? "" : ", \\\n     ") << parts[i];
        }
        out << '\n';
    }
    return out.str();
}

}  // namespace p2pls::experiments
