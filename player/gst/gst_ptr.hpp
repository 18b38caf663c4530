// RAII for the GStreamer objects the player holds. Who owns what, stated once:
// - gst_parse_launch returns a *floating* reference: adopt_floating() sinks it so that we
//   hold one full reference.
// - gst_bin_get_by_name, gst_element_get_bus, gst_element_get_static_pad and
//   gst_element_factory_find return *transfer full*: wrap them directly.
// - GstMessage / GstBuffer are mini-objects with their own unref.
#pragma once

#include <gst/gst.h>

#include <memory>

namespace p2pls::player::gst {

struct ObjectUnref {
    void operator()(gpointer object) const noexcept {
        if (object != nullptr) {
            gst_object_unref(object);
        }
    }
};
struct MessageUnref {
    void operator()(GstMessage* m) const noexcept {
        if (m != nullptr) {
            gst_message_unref(m);
        }
    }
};
struct ErrorFree {
    void operator()(GError* e) const noexcept {
        if (e != nullptr) {
            g_error_free(e);
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
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using CharPtr = std::unique_ptr<gchar, GFree>;

template <class T>
ObjectPtr<T> adopt_floating(T* object) {
    if (object != nullptr) {
        gst_object_ref_sink(object);
    }
    return ObjectPtr<T>(object);
}

}  // namespace p2pls::player::gst
