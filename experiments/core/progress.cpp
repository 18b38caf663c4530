#include "experiments/core/progress.hpp"

#include <cstdio>

namespace p2pls::experiments {

std::string progress_line(const Progress& p) {
    const double rate = p.chunks_due == 0 ? 0.0
                                          : 100.0 * static_cast<double>(p.chunks_missed) /
                                                static_cast<double>(p.chunks_due);
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "[%s] %5.1f/%.0f s  joined %zu  online %zu  playing %zu  missed %llu/%llu "
                  "(%.2f %%)",
                  p.run.c_str(), p.elapsed_s, p.duration_s, p.joined, p.online, p.playing,
                  static_cast<unsigned long long>(p.chunks_missed),
                  static_cast<unsigned long long>(p.chunks_due), rate);
    std::string line = buf;
    if (p.failed > 0) {
        line += "  failed " + std::to_string(p.failed);
    }
    return line;
}

}  // namespace p2pls::experiments
