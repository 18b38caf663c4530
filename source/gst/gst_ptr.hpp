// RAII for the GStreamer objects the source holds. Ownership rules, stated once:
// - gst_parse_launch / gst_element_factory_make return a *floating* reference: adopt it
//   with adopt_floating(), which sinks it (gst_object_ref_sink) so we own one full ref.
// - gst_bin_get_by_name, gst_element_get_bus, gst_element_get_static_pad,
//   gst_app_sink_pull_sample, gst_element_factory_find return *transfer full*: wrap them
//   directly.
#pragma once

#include <gst/gst.h>

#include <memory>

namespace p2pls::source::gst {

struct GstObjectUnref {
    void operator()(gpointer object) const noexcept {
        if (object != nullptr) {
            gst_object_unref(object);
        }
    }
};

struct GstMiniObjectUnref {
    void operator()(GstMiniObject* object) const noexcept {
        if (object != nullptr) {
            gst_mini_object_unref(object);
        }
    }
    void operator()(GstSample* sample) const noexcept {
        if (sample != nullptr) {
            gst_sample_unref(sample);
        }
    }
    void operator()(GstMessage* message) const noexcept {
        if (message != nullptr) {
            gst_message_unref(message);
        }
    }
};

struct GErrorFree {
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
using GstPtr = std::unique_ptr<T, GstObjectUnref>;
using ElementPtr = GstPtr<GstElement>;
using BusPtr = GstPtr<GstBus>;
using FactoryPtr = GstPtr<GstElementFactory>;
using SamplePtr = std::unique_ptr<GstSample, GstMiniObjectUnref>;
using ErrorPtr = std::unique_ptr<GError, GErrorFree>;
using GCharPtr = std::unique_ptr<gchar, GFree>;

// Takes ownership of a floating reference (sinks it); no-op for nullptr.
template <class T>
GstPtr<T> adopt_floating(T* object) {
    if (object != nullptr) {
        gst_object_ref_sink(object);
    }
    return GstPtr<T>(object);
}

}  // namespace p2pls::source::gst
