#include "source/net/source_node.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "source/core/signed_chunk.hpp"

namespace p2pls::source::net {

SourceNode::SourceNode(boost::asio::io_context& io, SourceNodeConfig config)
    : io_(io),
      config_(std::move(config)),
      chunker_(config_.chunker),
      duration_timer_(io),
      stats_timer_(io) {}

SourceNode::~SourceNode() {
    *alive_ = false;
    if (pipeline_) {
        pipeline_->stop();  // joins the streaming threads: no callback after this
    }
}

Result<void> SourceNode::start(PublishFn publish, std::function<void(int)> on_exit,
                               std::string& why) {
    publish_ = std::move(publish);
    on_exit_ = std::move(on_exit);
    if (!config_.record_dir.empty()) {
        auto recorder = io::ChunkRecorder::open(config_.record_dir, config_.keys.public_key,
                                                config_.epoch, why);
        if (!recorder) {
            return recorder.error();
        }
        recorder_.emplace(std::move(*recorder));
    }
    if (auto opened = open_pipeline(why); !opened) {
        return opened.error();
    }
    spdlog::info("pipeline: {}", pipeline_->description());
    if (config_.duration) {
        duration_timer_.expires_after(*config_.duration);
        duration_timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                spdlog::info("--duration reached");
                stop(kExitOk);
            }
        });
    }
    arm_stats_timer();
    return {};
}

Result<void> SourceNode::open_pipeline(std::string& why) {
    auto pipeline = gst::TsPipeline::create(config_.pipeline, why);
    if (!pipeline) {
        return pipeline.error();
    }
    pipeline_ = std::move(*pipeline);

    // GStreamer threads only post; everything else happens on the io thread. The weak
    // flag guards handlers still queued when the node is gone.
    std::weak_ptr<bool> alive = alive_;
    gst::Callbacks callbacks;
    callbacks.on_ts = [this, alive](std::string bytes) {
        boost::asio::post(io_, [this, alive, bytes = std::move(bytes)]() mutable {
            if (!alive.expired()) {
                on_ts(std::move(bytes));
            }
        });
    };
    callbacks.on_error = [this, alive](std::string message) {
        boost::asio::post(io_, [this, alive, message = std::move(message)] {
            if (!alive.expired()) {
                on_pipeline_error(message);
            }
        });
    };
    callbacks.on_eos = [this, alive] {
        boost::asio::post(io_, [this, alive] {
            if (!alive.expired()) {
                on_eos();
            }
        });
    };
    return pipeline_->start(std::move(callbacks), why);
}

void SourceNode::on_ts(std::string bytes) {
    if (stopping_) {
        return;
    }
    chunker_.push(bytes);
    drain_chunks();
}

void SourceNode::drain_chunks() {
    for (auto& produced : chunker_.take_chunks()) {
        const bool key_start = produced.starts_on_key_frame;
        const CutReason ended_by = produced.ended_by;
        if (ended_by == CutReason::size_cap || ended_by == CutReason::duration_cap) {
            spdlog::warn(
                "chunk {} cut without a key frame ({}): is the encoder's key-frame "
                "interval longer than --chunk-ms?",
                produced.seq.value(), to_string(ended_by));
            ++stats_.forced_cuts;
        }
        auto chunk = make_signed_chunk(std::move(produced), config_.keys.secret_key,
                                       config_.channel, config_.epoch);
        const std::uint64_t size = chunk.payload().size();
        stats_.min_size = stats_.chunks == 0 ? size : std::min(stats_.min_size, size);
        stats_.max_size = std::max(stats_.max_size, size);
        if (ended_by != CutReason::end_of_stream) {
            const auto d = chunk.duration_us();
            stats_.min_duration_us =
                stats_.duration_us == 0 ? d : std::min(stats_.min_duration_us, d);
            stats_.max_duration_us = std::max(stats_.max_duration_us, d);
            stats_.duration_us += d;
            stats_.timed_bytes += size;
        }
        ++stats_.chunks;
        stats_.payload_bytes += size;
        stats_.live_edge = chunk.seq();
        spdlog::debug("chunk {} ts={} dur={}us size={}", chunk.seq(), chunk.timestamp_us(),
                      chunk.duration_us(), size);
        if (recorder_ && !recorder_->write(chunk, key_start, ended_by)) {
            spdlog::error("cannot write chunk {} in {}", chunk.seq(), recorder_->dir());
            stop(kExitIo);
            return;
        }
        if (publish_) {
            publish_(std::move(chunk));
        }
    }
}

void SourceNode::on_eos() {
    if (stopping_) {
        return;
    }
    if (config_.loop) {
        spdlog::info("end of input: looping");
        chunker_.on_discontinuity();
        std::string why;
        if (config_.pipeline.kind == gst::InputKind::media) {
            // uridecodebin links its pads once; a fresh pipeline is the simple way back.
            pipeline_->stop();
            pipeline_.reset();
            if (!open_pipeline(why)) {
                spdlog::error("{}", why);
                stop(kExitMedia);
            }
            return;
        }
        if (!pipeline_->restart(why)) {
            spdlog::error("{}", why);
            stop(kExitMedia);
        }
        return;
    }
    if (stats_.chunks == 0 && chunker_.stats().key_frames == 0) {
        // Nothing usable came out: not MPEG-TS, or no H.264 video in it.
        spdlog::error(
            "end of input without a single H.264 key frame ({} bytes read): is it "
            "an MPEG-TS file with H.264 video?",
            chunker_.stats().bytes_in);
        stop(kExitMedia);
        return;
    }
    spdlog::info("end of input");
    stop(kExitOk);
}

void SourceNode::on_pipeline_error(const std::string& message) {
    spdlog::error("GStreamer: {}", message);
    stop(kExitMedia);
}

void SourceNode::stop(int exit_code) {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    duration_timer_.cancel();
    stats_timer_.cancel();
    if (pipeline_) {
        pipeline_->stop();
    }
    if (exit_code == kExitOk) {
        chunker_.finish();  // the last, partial chunk is still worth sending
        drain_chunks();
    }
    log_stats();
    if (on_exit_) {
        on_exit_(exit_code);
    }
}

void SourceNode::arm_stats_timer() {
    stats_timer_.expires_after(config_.stats_interval);
    stats_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec && !stopping_) {
            log_stats();
            arm_stats_timer();
        }
    });
}

void SourceNode::log_stats() {
    const auto& c = chunker_.stats();
    const double seconds = static_cast<double>(stats_.duration_us) / 1e6;
    const double kbps =
        seconds > 0 ? static_cast<double>(stats_.timed_bytes) * 8 / seconds / 1000 : 0.0;
    spdlog::info(
        "chunks={} live_edge={} bytes={} ts_rate={:.0f}kbit/s duration_us[min={} max={}] "
        "size[min={} max={}] forced_cuts={} sync_losses={} skipped_bytes={}",
        stats_.chunks, stats_.live_edge ? static_cast<std::int64_t>(*stats_.live_edge) : -1,
        stats_.payload_bytes, kbps, stats_.min_duration_us, stats_.max_duration_us, stats_.min_size,
        stats_.max_size, stats_.forced_cuts, c.sync_losses, c.skipped_bytes);
}

}  // namespace p2pls::source::net
