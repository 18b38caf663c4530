// Test media for the player: a few seconds of H.264 in MPEG-TS, made here with GStreamer
// (videotestsrc, SMPTE bars) and cut into key-frame-aligned chunks by the source's own
// chunker, so every chunk starts with PAT/PMT and a key frame as real chunks do.
#pragma once

#include <string>
#include <vector>

#include "player/core/fanout.hpp"
#include "tests/support/child_process.hpp"

namespace p2pls::player::test {

// `seconds` of 320x240 25 fps video as ~1 s chunks (cached per process for a given length).
// Empty with `why` set when GStreamer cannot make it.
const std::vector<Payload>& ts_chunks(int seconds, std::string& why);

using p2pls::testing::have_program;

// A virtual X display (Debian `xvfb`) for window tests: started on `display` (":93"),
// stopped when destroyed.
class Xvfb {
  public:
    explicit Xvfb(const std::string& display);
    [[nodiscard]] bool running() { return server_.running(); }
    // True once the server has said (through -displayfd) that it accepts clients. A socket
    // file alone is not enough: a stale one from an earlier server may still be there.
    [[nodiscard]] bool ready() const;

  private:
    p2pls::testing::ChildProcess server_;
};

// Grabs the root window of `display` as grey pixels (GStreamer ximagesrc) and returns
// their standard deviation: ~0 for a blank screen, tens for a picture. 0 with `why` set
// when no picture could be taken.
double screen_contrast(const std::string& display, std::string& why);

}  // namespace p2pls::player::test
