// The progress line the testbed shows while a run goes on.
#pragma once

#include <cstdint>
#include <string>

namespace p2pls::experiments {

struct Progress {
    std::string run;  // run label
    double elapsed_s = 0;
    double duration_s = 0;
    std::size_t joined = 0;   // sessions started so far
    std::size_t online = 0;   // sessions running now
    std::size_t playing = 0;  // of those, started playing (latest report)
    std::uint64_t chunks_missed = 0;
    std::uint64_t chunks_due = 0;
    std::size_t failed = 0;  // processes that exited with an error
};

// "[native] 12.0/60 s  joined 20  online 20  playing 18  missed 3/410 (0.73 %)"
std::string progress_line(const Progress& p);

}  // namespace p2pls::experiments
