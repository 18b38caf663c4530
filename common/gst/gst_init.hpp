// The one GStreamer initialisation of a process. gst_init_check runs once, whoever calls
// first (the source's or the player's pipeline, a test's decoder); every later call
// returns the first call's outcome. Thread-safe.
#pragma once

#include <string>

namespace p2pls::gst {

// True when GStreamer is initialised; otherwise false and `why` says what failed.
bool init_gstreamer(std::string& why);

}  // namespace p2pls::gst
