// Decodes one chunk on its own, in-process: appsrc ! tsdemux ! h264parse ! avdec_h264 !
// fakesink, counting the frames that reach the sink. A chunk that needs anything from
// an earlier chunk (PAT/PMT, SPS/PPS, a reference frame) decodes to 0 frames.
#pragma once

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <atomic>
#include <string>

namespace p2pls::testing {

inline int decode_alone(const std::string& ts, std::string* error = nullptr) {
    gst_init(nullptr, nullptr);
    GError* err = nullptr;
    GstElement* pipeline = gst_parse_launch(
        "appsrc name=src caps=video/mpegts,systemstream=true,packetsize=188 format=bytes ! "
        "tsdemux ! h264parse ! avdec_h264 ! fakesink name=sink signal-handoffs=true sync=false",
        &err);
    if (pipeline == nullptr || err != nullptr) {
        if (error != nullptr && err != nullptr) {
            *error = err->message;
        }
        if (err != nullptr) {
            g_error_free(err);
        }
        return -1;
    }
    gst_object_ref_sink(pipeline);  // parse_launch returns a floating reference
    std::atomic<int> frames{0};
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");  // transfer full
    g_signal_connect(sink, "handoff",
                     G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer user) {
                         ++*static_cast<std::atomic<int>*>(user);
                     }),
                     &frames);
    GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBuffer* buffer = gst_buffer_new_memdup(ts.data(), ts.size());
    gst_app_src_push_buffer(GST_APP_SRC(src), buffer);  // takes the buffer
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    int result = frames.load();
    if (msg == nullptr) {
        result = -2;  // neither EOS nor error in time
    } else {
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
            GError* e = nullptr;
            gst_message_parse_error(msg, &e, nullptr);
            if (error != nullptr && e != nullptr) {
                *error = e->message;
            }
            if (e != nullptr) {
                g_error_free(e);
            }
        }
        gst_message_unref(msg);
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
    return result;
}

}  // namespace p2pls::testing
