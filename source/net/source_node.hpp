// The running source: GStreamer pipeline -> (posted to the io_context) chunker -> signed
// chunks -> recorder and publisher. Owns the pipeline, the chunker and the recorder; the
// io_context's single thread does all the chunking, signing and publishing.
//
// Lifecycle: start() once; stop() once (SIGINT/SIGTERM, --duration, end of input, or a
// pipeline error) flushes the last chunk and calls on_exit(exit_code) on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/core/chunk_signature.hpp"
#include "common/core/errc.hpp"
#include "p2pls/peer.pb.h"
#include "source/core/chunker.hpp"
#include "source/core/source_metrics.hpp"
#include "source/gst/ts_pipeline.hpp"
#include "source/io/chunk_recorder.hpp"

namespace p2pls::source::net {

// Exit codes of p2pls-source (also in --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfig = 2;  // bad flags, settings, key file, record folder
inline constexpr int kExitMedia = 3;   // missing plugin, unreadable input, pipeline error
inline constexpr int kExitIo = 4;      // cannot write a recorded chunk, cannot listen

struct SourceNodeConfig {
    std::string channel = "live";
    gst::PipelineSpec pipeline;
    bool loop = false;                                  // restart the input at its end
    std::optional<std::chrono::milliseconds> duration;  // stop after this long
    KeyPair keys;
    SourceEpoch epoch{};     // this run's id: every chunk's signature covers it
    std::string record_dir;  // empty: no recording
    ChunkerConfig chunker;
    std::chrono::seconds stats_interval{10};  // log line with chunk statistics
};

// Where signed chunks go besides the recorder (the peer-wire origin node).
using PublishFn = std::function<void(wire::Chunk)>;

class SourceNode {
  public:
    SourceNode(boost::asio::io_context& io, SourceNodeConfig config);
    ~SourceNode();
    SourceNode(const SourceNode&) = delete;
    SourceNode& operator=(const SourceNode&) = delete;

    // Builds and starts the pipeline and the recorder. On failure `why` is one line and
    // the error says which exit code fits (media_error -> kExitMedia, io_error ->
    // kExitConfig for the record folder).
    Result<void> start(PublishFn publish, std::function<void(int)> on_exit, std::string& why);

    // Stops the pipeline, flushes the last chunk, then on_exit(exit_code). Idempotent.
    void stop(int exit_code);

    [[nodiscard]] const SourceStats& stats() const noexcept { return stats_; }
    [[nodiscard]] const ChunkerStats& chunker_stats() const noexcept { return chunker_.stats(); }

  private:
    Result<void> open_pipeline(std::string& why);
    void on_ts(std::string bytes);
    void on_eos();
    void on_pipeline_error(const std::string& message);
    void drain_chunks();
    void log_stats();
    void arm_stats_timer();

    boost::asio::io_context& io_;
    SourceNodeConfig config_;
    TsChunker chunker_;
    std::unique_ptr<gst::TsPipeline> pipeline_;
    std::optional<io::ChunkRecorder> recorder_;
    PublishFn publish_;
    std::function<void(int)> on_exit_;
    boost::asio::steady_timer duration_timer_;
    boost::asio::steady_timer stats_timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool stopping_ = false;
    SourceStats stats_;
};

}  // namespace p2pls::source::net
