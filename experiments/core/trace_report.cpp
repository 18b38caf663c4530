#include "experiments/core/trace_report.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "common/core/proto_json.hpp"
#include "experiments/core/summary.hpp"
#include "experiments/core/text_format.hpp"

namespace p2pls::experiments {
namespace {

bool has_step(const report::ChunkTrace& t, std::string_view what,
              std::string_view detail_prefix = {}) {
    return std::any_of(t.steps().begin(), t.steps().end(), [&](const report::TraceStep& s) {
        return s.what() == what && s.detail().starts_with(detail_prefix);
    });
}

std::optional<double> first_ask(const report::ChunkTrace& t) {
    for (const auto& s : t.steps()) {
        if (s.what() == "ask" || s.what() == "decade-ask" || s.what() == "fallback") {
            return s.t_s();
        }
    }
    return std::nullopt;
}

// Time from each ask of `ask` to the next `answer` on the same chunk (same holder for
// native asks), over every trace.
std::vector<double> step_times(const std::vector<report::ChunkTrace>& traces, std::string_view ask,
                               std::string_view answer, std::optional<bool> cross = std::nullopt) {
    std::vector<double> out;
    for (const auto& t : traces) {
        for (int i = 0; i < t.steps_size(); ++i) {
            const auto& s = t.steps(i);
            if (s.what() != ask) {
                continue;
            }
            if (cross && (s.detail().find("cross-server") != std::string::npos) != *cross) {
                continue;
            }
            for (int j = i + 1; j < t.steps_size(); ++j) {
                const auto& a = t.steps(j);
                // A native answer counts only from the neighbour that was asked.
                const bool native = ask == "ask" || ask == "fallback";
                if (a.what() == answer && (!native || a.who() == s.who())) {
                    out.push_back(a.t_s() - s.t_s());
                    break;
                }
            }
        }
    }
    return out;
}

std::string timing_row(std::string_view name, const std::vector<double>& v) {
    if (v.empty()) {
        return "| " + std::string(name) + " | 0 | - | - | - |\n";
    }
    return "| " + std::string(name) + " | " + std::to_string(v.size()) + " | " +
           fixed(percentile(v, 50), 2) + " s | " + fixed(percentile(v, 95), 2) + " s | " +
           fixed(*std::max_element(v.begin(), v.end()), 2) + " s |\n";
}

std::string one_line(const report::ChunkTrace& t) {
    std::string out = t.peer_id() + " seq " + std::to_string(t.seq()) + " " + t.outcome() +
                      " (due " + fixed(t.due_s(), 1) + " s, done " + fixed(t.done_s(), 1) + " s):";
    if (t.steps_size() == 0) {
        out += " no step";
    }
    for (const auto& s : t.steps()) {
        out += " " + fixed(s.t_s(), 2) + " " + s.what();
        if (!s.who().empty()) {
            out += " " + s.who();
        }
        if (s.batch() > 1) {
            out += " batch " + std::to_string(s.batch());
        }
        if (!s.detail().empty()) {
            out += " (" + s.detail() + ")";
        }
        out += ";";
    }
    if (t.steps_cut()) {
        out += " ... (more steps not kept)";
    }
    return out;
}

}  // namespace

std::string trace_cause(const report::ChunkTrace& t) {
    if (has_step(t, "decade-failed", "busy")) {
        return "DECADE busy (503)";
    }
    if (has_step(t, "decade-failed")) {
        return "DECADE failed";
    }
    if (has_step(t, "decade-timeout")) {
        return "DECADE timed out";
    }
    if (has_step(t, "busy")) {
        return "native Busy";
    }
    if (has_step(t, "late")) {
        return "native request late";
    }
    const auto asked = first_ask(t);
    if (!asked) {
        return "never asked";
    }
    // Within one chunk's time (the skip allowance) of its due time: nothing could fetch
    // it in time after that.
    if (t.due_s() - *asked < 1.0) {
        return "asked too late";
    }
    return "slow delivery";
}

std::string trace_markdown(std::string_view label, const std::vector<report::ChunkTrace>& traces,
                           double chunk_s, std::size_t full_traces) {
    std::map<std::string, std::size_t> outcomes;
    std::map<std::string, std::vector<double>> causes;  // cause -> how late (done - due)
    std::vector<report::ChunkTrace> bad;
    std::vector<double> startup_first_ask;
    for (const auto& t : traces) {
        ++outcomes[t.outcome()];
        if (t.outcome() == "startup") {
            if (const auto a = first_ask(t)) {
                startup_first_ask.push_back(*a);
            }
            continue;
        }
        causes[trace_cause(t)].push_back(t.done_s() - t.due_s());
        bad.push_back(t);
    }
    std::string md = "# Chunk traces: " + std::string(label) + "\n\n";
    md += "Chunks traced: " + std::to_string(outcomes["startup"]) + " that startup waited for, " +
          std::to_string(outcomes["late"]) + " played late (after a stall), " +
          std::to_string(outcomes["missed"]) + " missed. Chunks of " + fixed(chunk_s, 1) +
          " s. Times are seconds since each peer started joining.\n\n";
    md +=
        "## Late and missed chunks by cause\n\n| cause | chunks | median wait past due | max |\n"
        "|---|---|---|---|\n";
    if (causes.empty()) {
        md += "| (none) | 0 | - | - |\n";
    }
    for (const auto& [cause, waits] : causes) {
        md += "| " + cause + " | " + std::to_string(waits.size()) + " | " +
              fixed(percentile(waits, 50), 2) + " s | " +
              fixed(*std::max_element(waits.begin(), waits.end()), 2) + " s |\n";
    }
    md +=
        "\n## Step times (every traced chunk)\n\n| step | count | p50 | p95 | max |\n"
        "|---|---|---|---|---|\n";
    md += timing_row("DECADE ask -> got, same server",
                     step_times(traces, "decade-ask", "decade-got", false));
    md += timing_row("DECADE ask -> got, across servers",
                     step_times(traces, "decade-ask", "decade-got", true));
    md += timing_row("native ask -> got", step_times(traces, "ask", "got"));
    md += timing_row("fallback ask -> got", step_times(traces, "fallback", "got"));
    md += timing_row("startup: join -> first ask of a startup chunk", startup_first_ask);
    md += "\n## Late and missed chunks, step by step (first " +
          std::to_string(std::min(full_traces, bad.size())) + " of " + std::to_string(bad.size()) +
          ")\n\n";
    std::sort(bad.begin(), bad.end(), [](const auto& a, const auto& b) {
        return a.due_s() != b.due_s() ? a.due_s() < b.due_s() : a.peer_id() < b.peer_id();
    });
    for (std::size_t i = 0; i < bad.size() && i < full_traces; ++i) {
        md += "- " + one_line(bad[i]) + "\n";
    }
    return md;
}

std::vector<report::ChunkTrace> parse_traces(std::string_view jsonl) {
    std::vector<report::ChunkTrace> out;
    while (!jsonl.empty()) {
        const auto nl = jsonl.find('\n');
        const std::string_view line = jsonl.substr(0, nl);
        jsonl = nl == std::string_view::npos ? std::string_view{} : jsonl.substr(nl + 1);
        if (line.empty()) {
            continue;
        }
        report::ChunkTrace t;
        if (line.size() <= 256 * 1024 && !parse_json(line, t).has_value()) {
            out.push_back(std::move(t));
        }
    }
    return out;
}

}  // namespace p2pls::experiments
