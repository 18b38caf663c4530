// The peer process tests read what each p2pls-peer wrote with --report: the last line of
// its JSON-lines QoE report (docs/metrics.md), parsed; nullopt when there is none.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "common/core/proto_json.hpp"
#include "p2pls/report.pb.h"

namespace p2pls::testing {

inline std::optional<report::QoeReport> last_report(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    report::QoeReport r;
    if (last.empty() || parse_json(last, r).has_value()) {
        return std::nullopt;
    }
    return r;
}

}  // namespace p2pls::testing
