// RAII for every GStreamer object the project holds (the source's capture pipeline, the
// player's playback pipeline, the tests' decoders). Who owns what, stated once:
// - gst_parse_launch and gst_element_factory_make return a *floating* reference: adopt it
//   with adopt_floating(), which sinks it (gst_object_ref_sink) so that we own one full
//   reference.
// - gst_bin_get_by_name, gst_element_get_bus, gst_element_get_static_pad,
//   gst_element_factory_find and gst_app_sink_pull_sample return *transfer full*: wrap
//   them directly.
// - GstMessage and GstSample are mini-objects with their own unref; GError and gchar
//   strings are GLib's to free.
#pragma once

#include <gst/gst.h>

#include <memory>

namespace p2pls::gst {

struct ObjectUnref {
    void operator()(gpointer object) const noexcept {
        if (object != nullptr) {
            gst_object_unref(object);
        }
    }
};

struct MiniObjectUnref {
    void operator()(GstMessage* message) const noexcept {
        if (message != nullptr) {
            gst_message_unref(message);
        }
    }
    void operator()(GstSample* sample) const noexcept {
        if (sample != nullptr) {
            gst_sample_unref(sample);
        }
    }
    void operator()(GstBuffer* buffer) const noexcept {
        if (buffer != nullptr) {
            gst_buffer_unref(buffer);
        }
    }
};

struct ErrorFree {
    void operator()(GError* error) const noexcept {
        if (error != nullptr) {
            g_error_free(error);
        }
    }
};

struct GFree {
    void operator()(gpointer p) const noexcept { g_free(p); }
};

template <class T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;
using ElementPtr = ObjectPtr<GstElement>;
using BusPtr = ObjectPtr<GstBus>;
using PadPtr = ObjectPtr<GstPad>;
using FactoryPtr = ObjectPtr<GstElementFactory>;
using MessagePtr = std::unique_ptr<GstMessage, MiniObjectUnref>;
using SamplePtr = std::unique_ptr<GstSample, MiniObjectUnref>;
using BufferPtr = std::unique_ptr<GstBuffer, MiniObjectUnref>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using CharPtr = std::unique_ptr<gchar, GFree>;

// Takes ownership of a floating reference (sinks it); nullptr stays empty. On an object
// that is not floating, ref_sink adds a reference, which the pointer then owns.
template <class T>
ObjectPtr<T> adopt_floating(T* object) {
    if (object != nullptr) {
        gst_object_ref_sink(object);
    }
    return ObjectPtr<T>(object);
}

}  // namespace p2pls::gst
