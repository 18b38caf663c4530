// Test media for the player: a few seconds of H.264 in MPEG-TS, made here with GStreamer
// (videotestsrc, SMPTE bars) and cut into key-frame-aligned chunks by the source's own
// chunker, so every chunk starts with PAT/PMT and a key frame as real chunks do.
#pragma once

#include <string>
#include <vector>

#include "player/core/fanout.hpp"

namespace p2pls::player::test {

// `seconds` of 320x240 25 fps video as ~1 s chunks (cached per process for a given length).
// Empty with `why` set when GStreamer cannot make it.
const std::vector<Payload>& ts_chunks(int seconds, std::string& why);

// Runs a shell command with a time bound, returning its exit code and its stdout+stderr.
struct CommandResult {
    int exit_code = -1;
    std::string output;
};
CommandResult run_command(const std::string& command);

bool have_program(const std::string& name);

}  // namespace p2pls::player::test
