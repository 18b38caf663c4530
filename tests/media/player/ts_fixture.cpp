#include "ts_fixture.hpp"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "common/gst/gst_init.hpp"
#include "common/gst/gst_ptr.hpp"
#include "player/gst/playback_pipeline.hpp"
#include "source/core/chunker.hpp"

namespace p2pls::player::test {

namespace {

// Encodes with a non-live videotestsrc (as fast as the CPU allows) into an appsink.
std::string encode_ts(int seconds, std::string& why) {
    if (!p2pls::gst::init_gstreamer(why)) {
        return {};
    }
    const std::string desc =
        "videotestsrc pattern=smpte num-buffers=" + std::to_string(seconds * 25) +
        " ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 "
        "! x264enc key-int-max=25 tune=zerolatency speed-preset=ultrafast bitrate=400 "
        "! video/x-h264,profile=baseline ! mpegtsmux ! appsink name=out sync=false";
    GError* raw = nullptr;
    auto pipeline = p2pls::gst::adopt_floating(gst_parse_launch(desc.c_str(), &raw));
    const p2pls::gst::ErrorPtr err(raw);
    if (!pipeline || err) {
        why = std::string("cannot build the encoder: ") + (err ? err->message : "?");
        return {};
    }
    const p2pls::gst::ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "out"));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    std::string ts;
    while (GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink.get()))) {
        GstBuffer* buffer = gst_sample_get_buffer(sample);
        GstMapInfo map;
        if (buffer != nullptr && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            ts.append(reinterpret_cast<const char*>(map.data), map.size);
            gst_buffer_unmap(buffer, &map);
        }
        gst_sample_unref(sample);
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    if (ts.empty()) {
        why = "the encoder produced nothing";
    }
    return ts;
}

}  // namespace

const std::vector<Payload>& ts_chunks(int seconds, std::string& why) {
    static std::mutex mutex;
    static std::map<int, std::vector<Payload>> cache;
    const std::lock_guard lock(mutex);
    auto& chunks = cache[seconds];
    if (!chunks.empty()) {
        return chunks;
    }
    const auto ts = encode_ts(seconds, why);
    source::TsChunker chunker(source::ChunkerConfig{});
    chunker.push(std::string_view(ts));
    chunker.finish();
    for (auto& c : chunker.take_chunks()) {
        chunks.push_back(std::make_shared<const std::string>(std::move(c.payload)));
    }
    if (chunks.empty() && why.empty()) {
        why = "the chunker made no chunks";
    }
    return chunks;
}

// -noreset: an X server resets when its last client leaves, and a connection made during
// the reset fails; autovideosink's probing opens and closes the display just before the
// chosen sink connects for real. -displayfd 1: the display number and a newline arrive on
// stdout once it is listening.
Xvfb::Xvfb(const std::string& display)
    : server_({"Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp", "-noreset",
               "-displayfd", "1"},
              {.separate_stderr = true}) {}

bool Xvfb::ready() const {
    return server_.output().find('\n') != std::string::npos;
}

double screen_contrast(const std::string& display, std::string& why) {
    if (!p2pls::gst::init_gstreamer(why)) {
        return 0;
    }
    const std::string desc = "ximagesrc display-name=" + display +
                             " use-damage=false num-buffers=1 ! videoconvert ! "
                             "video/x-raw,format=GRAY8 ! appsink name=out sync=false";
    GError* raw = nullptr;
    auto pipeline = p2pls::gst::adopt_floating(gst_parse_launch(desc.c_str(), &raw));
    const p2pls::gst::ErrorPtr err(raw);
    if (!pipeline || err) {
        why = err ? err->message : "no pipeline";
        return 0;
    }
    const p2pls::gst::ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "out"));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 5 * GST_SECOND);
    double stddev = 0;
    if (sample != nullptr) {
        GstBuffer* buffer = gst_sample_get_buffer(sample);
        GstMapInfo map;
        if (gst_buffer_map(buffer, &map, GST_MAP_READ) && map.size > 0) {
            double sum = 0;
            double sq = 0;
            for (gsize i = 0; i < map.size; ++i) {
                sum += map.data[i];
                sq += static_cast<double>(map.data[i]) * map.data[i];
            }
            const double n = static_cast<double>(map.size);
            stddev = std::sqrt(std::max(0.0, sq / n - (sum / n) * (sum / n)));
            gst_buffer_unmap(buffer, &map);
        }
        gst_sample_unref(sample);
    } else {
        why = "ximagesrc gave no picture";
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return stddev;
}

}  // namespace p2pls::player::test
