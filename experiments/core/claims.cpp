#include "experiments/core/claims.hpp"

#include <sstream>

#include "experiments/core/text_format.hpp"

namespace p2pls::experiments {

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::holds:
            return "holds";
        case Verdict::does_not_hold:
            return "does not hold";
        case Verdict::not_measured:
            return "not measured";
    }
    return "not measured";
}

ModeFigures figures_of(const RunSummary* run) {
    ModeFigures f;
    if (run == nullptr || !run->available || run->reported == 0) {
        return f;
    }
    f.measured = true;
    f.startup_p50_s = run->startup_p50_s;
    f.freezes_per_peer = run->freezes_per_peer;
    f.miss_rate = run->miss_rate;
    f.upload_media_bytes = static_cast<double>(run->upload_media_bytes);
    f.control_overhead = run->control_overhead;
    return f;
}

std::optional<double> startup_ratio(const ModeFigures& native, const ModeFigures& decade) {
    if (!native.measured || !decade.measured || native.startup_p50_s <= 0 ||
        decade.startup_p50_s < 0) {
        return std::nullopt;
    }
    return decade.startup_p50_s / native.startup_p50_s;
}

namespace {

Verdict verdict_of(bool holds) {
    return holds ? Verdict::holds : Verdict::does_not_hold;
}

Verdict check_startup(const ModeFigures& native, const ModeFigures& decade,
                      std::optional<double> ratio) {
    if (!native.measured || !decade.measured) {
        return Verdict::not_measured;
    }
    if (decade.startup_p50_s < 0) {
        return Verdict::does_not_hold;  // no DECADE peer ever played
    }
    if (native.startup_p50_s < 0) {
        return Verdict::holds;  // DECADE peers played, native ones never did
    }
    return verdict_of(ratio.has_value() && *ratio <= claim_goal::kStartupRatioMax);
}

}  // namespace

std::vector<ClaimCheck> check_claims(const ModeFigures& native, const ModeFigures& decade,
                                     std::optional<double> ratio) {
    const bool both = native.measured && decade.measured;
    std::vector<ClaimCheck> out;
    out.push_back({Claim::faster_startup, check_startup(native, decade, ratio)});
    // Written as a product so that "both froze 0 times" holds without a division by 0.
    out.push_back({Claim::fewer_freezes,
                   both ? verdict_of(decade.freezes_per_peer * claim_goal::kNativeFreezeFactor <=
                                     native.freezes_per_peer)
                        : Verdict::not_measured});
    out.push_back(
        {Claim::low_miss_rate, both ? verdict_of(native.miss_rate <= claim_goal::kMissRateMax &&
                                                 decade.miss_rate <= claim_goal::kMissRateMax)
                                    : Verdict::not_measured});
    // (d) and (e) are about DECADE mode alone.
    out.push_back({Claim::no_peer_upload,
                   decade.measured
                       ? verdict_of(decade.upload_media_bytes <=
                                    static_cast<double>(claim_goal::kDecadePeerUploadMaxBytes))
                       : Verdict::not_measured});
    out.push_back({Claim::low_overhead, decade.measured ? verdict_of(decade.control_overhead <=
                                                                     claim_goal::kDecadeOverheadMax)
                                                        : Verdict::not_measured});
    return out;
}

std::vector<ClaimCheck> check_claims(const ModeFigures& native, const ModeFigures& decade) {
    return check_claims(native, decade, startup_ratio(native, decade));
}

ClaimText claim_text(Claim claim) {
    using namespace claim_goal;
    switch (claim) {
        case Claim::faster_startup:
            return {"(a) DECADE starts faster (startup p50)", "35-40 s vs 110-120 s (x0.3)",
                    "DECADE/native <= " + fixed(kStartupRatioMax, 2)};
        case Claim::fewer_freezes:
            return {"(b) DECADE freezes less (freezes per peer)", "native about 40 % more",
                    "DECADE <= native / " + fixed(kNativeFreezeFactor, 1) + ", or both 0"};
        case Claim::low_miss_rate:
            return {"(c) few pieces missed (miss rate)", "about 0.02 % in both",
                    "<= " + fixed(kMissRateMax * 100, 2) + " % in both modes"};
        case Claim::no_peer_upload:
            return {"(d) DECADE peers upload no media (peer media upload)", "0 in DECADE mode",
                    std::to_string(kDecadePeerUploadMaxBytes) + " B in DECADE mode"};
        case Claim::low_overhead:
            return {"(e) signalling overhead (control / media received)", "2.5 % (DECADE)",
                    "DECADE <= " + fixed(kDecadeOverheadMax * 100, 1) + " %"};
    }
    return {};
}

std::vector<ClaimLine> claim_lines(const RunSummary* native, const RunSummary* decade) {
    const ModeFigures n = figures_of(native);
    const ModeFigures d = figures_of(decade);
    const auto ratio = startup_ratio(n, d);
    std::vector<ClaimLine> lines;
    for (const auto& check : check_claims(n, d, ratio)) {
        ClaimLine line{.claim = check.claim,
                       .native = "-",
                       .decade = "-",
                       .verdict = std::string(to_string(check.verdict))};
        const auto cell = [&](const ModeFigures& f, std::string& out) {
            if (!f.measured) {
                return;
            }
            switch (check.claim) {
                case Claim::faster_startup:
                    out = seconds_or_dash(f.startup_p50_s);
                    break;
                case Claim::fewer_freezes:
                    out = fixed(f.freezes_per_peer, 2);
                    break;
                case Claim::low_miss_rate:
                    out = fixed(f.miss_rate * 100, 3) + " %";
                    break;
                case Claim::no_peer_upload:
                    out = bytes_human(static_cast<std::uint64_t>(f.upload_media_bytes));
                    break;
                case Claim::low_overhead:
                    out = fixed(f.control_overhead * 100, 2) + " %";
                    break;
            }
        };
        cell(n, line.native);
        cell(d, line.decade);
        if (check.claim == Claim::faster_startup && ratio) {
            line.decade += " (x" + fixed(*ratio, 2) + ")";
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

std::string claims_markdown_table(const std::vector<ClaimLine>& lines) {
    std::ostringstream out;
    out << "| claim | native | DECADE | the draft | goal | verdict |\n"
        << "|---|---|---|---|---|---|\n";
    for (const auto& line : lines) {
        const ClaimText text = claim_text(line.claim);
        out << "| " << text.title << " | " << line.native << " | " << line.decade << " | "
            << text.draft << " | " << text.goal << " | **" << line.verdict << "** |\n";
    }
    return out.str();
}

std::string claims_text_table(const std::vector<ClaimLine>& lines) {
    std::vector<std::vector<std::string>> rows{
        {"claim", "native", "DECADE", "the draft", "goal", "verdict"}};
    for (const auto& line : lines) {
        const ClaimText text = claim_text(line.claim);
        rows.push_back({text.title, line.native, line.decade, text.draft, text.goal, line.verdict});
    }
    return aligned_table(rows);
}

std::vector<RunPair> claim_pairs(const std::vector<RunSummary>& runs) {
    std::vector<RunPair> pairs;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].mode == Mode::decade) {
            pairs.push_back({.native = native_partner(runs, i), .decade = i});
        }
    }
    if (pairs.empty()) {
        std::optional<std::size_t> native;
        for (std::size_t i = 0; i < runs.size() && !native; ++i) {
            if (runs[i].mode == Mode::native) {
                native = i;
            }
        }
        pairs.push_back({.native = native, .decade = std::nullopt});
    }
    return pairs;
}

std::string claims_markdown(const std::vector<RunSummary>& runs) {
    std::ostringstream out;
    out << "\n## The draft's claims (§8.2.1)\n\n"
        << "Whether this run reproduces each claim of draft-ietf-decade-integration-example-02 "
           "§8.2.1, judged on the goal of the fifth column.\n";
    const auto pairs = claim_pairs(runs);
    for (const auto& pair : pairs) {
        const RunSummary* native = pair.native ? &runs[*pair.native] : nullptr;
        const RunSummary* decade = pair.decade ? &runs[*pair.decade] : nullptr;
        if (pairs.size() > 1) {
            out << "\n### " << (decade != nullptr ? decade->label : "decade") << " vs "
                << (native != nullptr ? native->label : "native") << "\n";
        }
        out << '\n' << claims_markdown_table(claim_lines(native, decade));
    }
    return out.str();
}

std::string claims_text(const std::vector<RunSummary>& runs) {
    std::ostringstream out;
    for (const auto& pair : claim_pairs(runs)) {
        const RunSummary* native = pair.native ? &runs[*pair.native] : nullptr;
        const RunSummary* decade = pair.decade ? &runs[*pair.decade] : nullptr;
        out << "The draft's claims (" << (decade != nullptr ? decade->label : "decade") << " / "
            << (native != nullptr ? native->label : "native") << "):\n"
            << claims_text_table(claim_lines(native, decade));
    }
    return out.str();
}

}  // namespace p2pls::experiments
