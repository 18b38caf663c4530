// The GStreamer side of the source: capture (live test pattern, a file/URI, or a
// pre-encoded TS replayed at real time), H.264 encode, MPEG-TS mux, and an appsink that
// hands the TS bytes to the caller. The chunker (source/core) does the rest.
//
// Threads: on_ts runs on GStreamer's streaming thread and on_error / on_eos on whichever
// thread posted the bus message; the caller hands the work over to its own thread (the app
// posts it to the io_context). restart() and stop() must not be called from those
// callbacks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/errc.hpp"
#include "source/core/options.hpp"

namespace p2pls::source::gst {

enum class InputKind {
    test_pattern,  // videotestsrc is-live=true pattern=smpte (+ audio tone)
    media,         // any file or URI uridecodebin can decode: re-encoded, paced at real time
    replay,        // a pre-encoded MPEG-TS file: no encoder, paced by its PCR
};

struct PipelineSpec {
    InputKind kind = InputKind::test_pattern;
    std::string location;  // file path or URI (media, replay)
    bool audio = false;    // add an AAC sine tone (test pattern only)
    EncodeSettings encode;
    std::size_t max_buffers = 256;  // appsink queue bound (buffers of 7 x 188 bytes)
};

// The pipeline in gst-launch-1.0 syntax (also used to log it and by bench scripts).
// Locations must already be URIs / absolute paths (see resolve_location).
std::string describe(const PipelineSpec& spec);

// The GStreamer elements a spec needs.
std::vector<std::string> required_elements(const PipelineSpec& spec);

// The Debian package that ships a GStreamer element (for "missing plugin" errors).
std::string debian_package_for(const std::string& element);

// Turns a --input / --replay argument into what the pipeline needs: a URI for media
// (a plain path must name a readable file), a readable path for replay.
Result<std::string> resolve_location(InputKind kind, const std::string& location, std::string& why);

struct Callbacks {
    std::function<void(std::string ts_bytes)> on_ts;
    std::function<void(std::string message)> on_error;  // the pipeline cannot go on
    std::function<void()> on_eos;
};

class TsPipeline {
  public:
    // Checks every element exists (else why = "... install gstreamer1.0-plugins-ugly")
    // and builds the pipeline; nothing runs yet.
    static Result<std::unique_ptr<TsPipeline>> create(const PipelineSpec& spec, std::string& why);
    ~TsPipeline();
    TsPipeline(const TsPipeline&) = delete;
    TsPipeline& operator=(const TsPipeline&) = delete;

    // Sets PLAYING. Errors after this arrive through on_error.
    Result<void> start(Callbacks callbacks, std::string& why);
    // Back to the start of the input (for --loop after on_eos): READY, then PLAYING.
    Result<void> restart(std::string& why);
    // Sets NULL; waits for the streaming threads, so no callback runs after it returns.
    void stop();

    [[nodiscard]] const std::string& description() const noexcept { return description_; }

  private:
    struct Impl;
    explicit TsPipeline(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
    std::string description_;
};

}  // namespace p2pls::source::gst
