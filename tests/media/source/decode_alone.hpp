// Decodes one chunk on its own, in-process: appsrc ! tsdemux ! h264parse ! avdec_h264 !
// fakesink, counting the frames that reach the sink. A chunk that needs anything from
// an earlier chunk (PAT/PMT, SPS/PPS, a reference frame) decodes to 0 frames.
#pragma once

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <atomic>
#include <string>

#include "common/gst/gst_init.hpp"
#include "common/gst/gst_ptr.hpp"

namespace p2pls::testing {

// Frames decoded; -1 when the pipeline cannot be built, -2 when neither EOS nor an error
// came within 20 s. `error` gets GStreamer's message when there is one.
inline int decode_alone(const std::string& ts, std::string* error = nullptr) {
    std::string why;
    if (!gst::init_gstreamer(why)) {
        if (error != nullptr) {
            *error = why;
        }
        return -1;
    }
    GError* raw = nullptr;
    const auto pipeline = gst::adopt_floating(gst_parse_launch(
        "appsrc name=src caps=video/mpegts,systemstream=true,packetsize=188 format=bytes ! "
        "tsdemux ! h264parse ! avdec_h264 ! fakesink name=sink signal-handoffs=true sync=false",
        &raw));
    const gst::ErrorPtr err(raw);
    if (!pipeline || err) {
        if (error != nullptr && err) {
            *error = err->message;
        }
        return -1;
    }
    std::atomic<int> frames{0};
    const gst::ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
    g_signal_connect(sink.get(), "handoff",
                     G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer user) {
                         ++*static_cast<std::atomic<int>*>(user);
                     }),
                     &frames);
    const gst::ElementPtr src(gst_bin_get_by_name(GST_BIN(pipeline.get()), "src"));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    // push_buffer takes the buffer (transfer full).
    gst_app_src_push_buffer(GST_APP_SRC(src.get()), gst_buffer_new_memdup(ts.data(), ts.size()));
    gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
    const gst::BusPtr bus(gst_element_get_bus(pipeline.get()));
    const gst::MessagePtr msg(gst_bus_timed_pop_filtered(
        bus.get(), 20 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    int result = frames.load();
    if (!msg) {
        result = -2;  // neither EOS nor error in time
    } else if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
        GError* raw_error = nullptr;
        gst_message_parse_error(msg.get(), &raw_error, nullptr);
        const gst::ErrorPtr e(raw_error);
        if (error != nullptr && e) {
            *error = e->message;
        }
    }
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return result;
}

}  // namespace p2pls::testing
