// The player's GStreamer pipeline: verified chunk payloads (MPEG-TS, each starting on a
// key frame with PAT/PMT), in playback order, go in; decoded video comes out on a sink.
//
//   appsrc (is-live, format=time, do-timestamp) ! tsdemux ! queue ! h264parse !
//   avdec_h264 [probe: frames, first frame] ! videoconvert ! <sink>
//
// Sinks (player/core/options.hpp SinkKind): `fake` = fakesink (headless), `window` =
// autovideosink, `file` = fakesink plus the received TS recorded to a file through a tee
// (a recording any player opens, and what was decoded, byte for byte).
//
// Threads: push() and stop() run on the io_context thread. GStreamer's streaming threads
// never call the owner: appsrc need-data / enough-data only flip a flag and post a drain;
// bus messages (a sync handler) and the first decoded frame are posted to the io_context,
// so every PipelineEvents callback runs there.
//
// Back-pressure: while appsrc says enough-data, payloads wait in a queue of at most
// `max_queued_chunks`; beyond it the oldest waiting payload is dropped (live playback
// prefers the newest) and counted.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/core/errc.hpp"
#include "player/core/fanout.hpp"
#include "player/core/options.hpp"

namespace p2pls::player::gst {

// The pipeline in gst-launch-1.0 syntax (the file sink's location is set apart).
std::string describe(const SinkSpec& sink);

// The elements a sink needs, and the Debian package shipping each (for a clear error).
std::vector<std::string> required_elements(const SinkSpec& sink);
std::string debian_package_for(const std::string& element);

struct PipelineLimits {
    std::size_t max_queued_chunks = 8;           // waiting while appsrc has enough
    std::uint64_t appsrc_max_bytes = 4u << 20u;  // appsrc's own queue before enough-data
};

struct PipelineEvents {
    std::function<void()> on_first_frame;              // the decoder produced its first frame
    std::function<void(std::string)> on_error;         // the pipeline cannot go on
    std::function<void(std::string)> on_warning = {};  // worth a log line
};

class PlaybackPipeline {
  public:
    // Checks the elements exist and builds the pipeline (not playing yet).
    static Result<std::unique_ptr<PlaybackPipeline>> create(boost::asio::io_context& io,
                                                            const SinkSpec& sink,
                                                            PipelineLimits limits,
                                                            std::string& why);
    ~PlaybackPipeline();  // stops
    PlaybackPipeline(const PlaybackPipeline&) = delete;
    PlaybackPipeline& operator=(const PlaybackPipeline&) = delete;

    // Sets PLAYING. Later failures arrive through events.on_error.
    Result<void> start(PipelineEvents events, std::string& why);

    // One chunk's payload, in playback order. False when it could not be queued (not
    // started, stopped, or an older waiting payload had to make room: see dropped()).
    bool push(Payload payload);

    // Sends end-of-stream and sets NULL; no event is delivered afterwards.
    void stop();

    [[nodiscard]] std::uint64_t frames_decoded() const noexcept;
    [[nodiscard]] std::uint64_t chunks_pushed() const noexcept;
    [[nodiscard]] std::uint64_t chunks_dropped() const noexcept;
    [[nodiscard]] std::size_t chunks_waiting() const noexcept;
    [[nodiscard]] const std::string& description() const noexcept;

    struct Impl;  // implementation detail (public only for the C callbacks)

  private:
    explicit PlaybackPipeline(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

}  // namespace p2pls::player::gst
