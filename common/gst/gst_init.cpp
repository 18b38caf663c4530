#include "common/gst/gst_init.hpp"

#include <mutex>

#include "common/gst/gst_ptr.hpp"

namespace p2pls::gst {

bool init_gstreamer(std::string& why) {
    static std::once_flag once;
    static bool ok = false;
    static std::string error;
    std::call_once(once, [] {
        GError* raw = nullptr;
        ok = gst_init_check(nullptr, nullptr, &raw) != FALSE;
        const ErrorPtr err(raw);
        if (!ok) {
            error = err ? err->message : "gst_init failed";
        }
    });
    if (!ok) {
        why = "cannot initialise GStreamer: " + error;
    }
    return ok;
}

}  // namespace p2pls::gst
