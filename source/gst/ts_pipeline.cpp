#include "source/gst/ts_pipeline.hpp"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

#include "common/gst/gst_init.hpp"
#include "common/gst/gst_ptr.hpp"

namespace p2pls::source::gst {

using p2pls::gst::adopt_floating;
using p2pls::gst::BusPtr;
using p2pls::gst::CharPtr;
using p2pls::gst::ElementPtr;
using p2pls::gst::ErrorPtr;
using p2pls::gst::FactoryPtr;
using p2pls::gst::init_gstreamer;
using p2pls::gst::SamplePtr;

namespace {

bool is_uri(const std::string& location) {
    return location.find("://") != std::string::npos;
}

std::string quote(const std::string& value) {
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out + "\"";
}

std::string encoder_tail(const EncodeSettings& e) {
    std::ostringstream os;
    // I420 before x264enc, else it may pick 4:4:4 (High 4:4:4 profile) that players reject.
    // scenecut=0: key frames only every key-int-max frames, so chunks keep their length.
    os << "x264enc tune=zerolatency speed-preset=ultrafast bitrate=" << e.bitrate_kbps
       << " key-int-max=" << key_interval_frames(e) << " option-string=scenecut=0"

       << " ! h264parse config-interval=-1 ! mux. ";
    return os.str();
}

std::string raw_caps(const EncodeSettings& e) {
    std::ostringstream os;
    os << "video/x-raw,format=I420,width=" << e.width << ",height=" << e.height
       << ",framerate=" << e.fps << "/1";
    return os.str();
}

constexpr const char* kMuxAndSink =
    "mpegtsmux name=mux alignment=7 ! appsink name=sink sync=false drop=false "
    "emit-signals=false";

}  // namespace

std::string describe(const PipelineSpec& spec) {
    std::ostringstream os;
    switch (spec.kind) {
        case InputKind::test_pattern:
            os << "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! "
               << raw_caps(spec.encode) << " ! " << encoder_tail(spec.encode);
            if (spec.audio) {
                os << "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! "
                      "audio/x-raw,rate=48000,channels=2 ! audioconvert ! "
                      "avenc_aac bitrate=64000 ! aacparse ! mux. ";
            }
            break;
        case InputKind::media:
            // Only the video stream is exposed; clocksync paces decoding to real time.
            os << "uridecodebin uri=" << quote(spec.location)
               << " caps=video/x-raw(ANY) expose-all-streams=false ! queue ! videoconvert ! "
                  "videoscale ! videorate ! "
               << raw_caps(spec.encode) << " ! clocksync ! " << encoder_tail(spec.encode);
            break;
        case InputKind::replay:
            // No encoder: tsparse timestamps the packets from the PCR, clocksync paces them.
            os << "filesrc location=" << quote(spec.location)
               << " ! tsparse set-timestamps=true alignment=7 ! clocksync ! "
                  "appsink name=sink sync=false drop=false emit-signals=false";
            return os.str();
    }
    os << kMuxAndSink;
    return os.str();
}

std::vector<std::string> required_elements(const PipelineSpec& spec) {
    switch (spec.kind) {
        case InputKind::test_pattern: {
            std::vector<std::string> e = {"videotestsrc", "x264enc", "h264parse", "mpegtsmux",
                                          "appsink"};
            if (spec.audio) {
                e.insert(e.end(), {"audiotestsrc", "audioconvert", "avenc_aac", "aacparse"});
            }
            return e;
        }
        case InputKind::media:
            return {"uridecodebin", "queue",   "videoconvert", "videoscale", "videorate",
                    "clocksync",    "x264enc", "h264parse",    "mpegtsmux",  "appsink"};
        case InputKind::replay:
            return {"filesrc", "tsparse", "clocksync", "appsink"};
    }
    return {};
}

std::string debian_package_for(const std::string& element) {
    static const std::map<std::string, std::string> kPackages = {
        {"x264enc", "gstreamer1.0-plugins-ugly"},
        {"mpegtsmux", "gstreamer1.0-plugins-bad"},
        {"tsdemux", "gstreamer1.0-plugins-bad"},
        {"tsparse", "gstreamer1.0-plugins-bad"},
        {"h264parse", "gstreamer1.0-plugins-bad"},
        {"avdec_h264", "gstreamer1.0-libav"},
        {"avenc_aac", "gstreamer1.0-libav"},
        {"aacparse", "gstreamer1.0-plugins-good"},
        {"queue", "libgstreamer1.0-0"},
        {"clocksync", "libgstreamer1.0-0"},
        {"filesrc", "libgstreamer1.0-0"},
        {"fakesink", "libgstreamer1.0-0"},
    };
    const auto it = kPackages.find(element);
    // Everything else the source uses (videotestsrc, audiotestsrc, uridecodebin,
    // videoconvert, videoscale, videorate, audioconvert, appsink, appsrc) is in -base.
    return it != kPackages.end() ? it->second : "gstreamer1.0-plugins-base";
}

Result<std::string> resolve_location(InputKind kind, const std::string& location,
                                     std::string& why) {
    if (location.empty()) {
        why = "empty input location";
        return make_error_code(Errc::config_invalid);
    }
    if (kind == InputKind::media && is_uri(location)) {
        if (gst_uri_is_valid(location.c_str()) == FALSE) {
            why = "not a valid URI: " + location;
            return make_error_code(Errc::config_invalid);
        }
        return location;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(location, ec) || ::access(location.c_str(), R_OK) != 0) {
        why = "input file not found or not readable: " + location;
        return make_error_code(Errc::io_error);
    }
    const auto absolute = std::filesystem::absolute(location, ec).string();
    if (kind == InputKind::replay) {
        return absolute;
    }
    GError* raw = nullptr;
    const CharPtr uri(gst_filename_to_uri(absolute.c_str(), &raw));
    const ErrorPtr err(raw);
    if (!uri) {
        why = "cannot make a URI of " + location;
        return make_error_code(Errc::config_invalid);
    }
    return std::string(uri.get());
}

// Everything the GStreamer threads touch lives here, owned by the TsPipeline.
struct TsPipeline::Impl {
    ElementPtr pipeline;
    ElementPtr sink;
    BusPtr bus;
    Callbacks callbacks;
    std::atomic<bool> reported_error{false};
    std::mutex error_mutex;
    std::string first_error;  // for start()/restart() failures, which return synchronously

    std::string take_first_error() {
        const std::lock_guard lock(error_mutex);
        return first_error;
    }

    static GstFlowReturn on_new_sample(GstAppSink* appsink, gpointer user) {
        auto* self = static_cast<Impl*>(user);
        const SamplePtr sample(gst_app_sink_pull_sample(appsink));
        if (!sample) {
            return GST_FLOW_EOS;
        }
        GstBuffer* buffer = gst_sample_get_buffer(sample.get());  // transfer none
        GstMapInfo map;
        if (buffer == nullptr || gst_buffer_map(buffer, &map, GST_MAP_READ) == FALSE) {
            return GST_FLOW_OK;
        }
        std::string bytes(reinterpret_cast<const char*>(map.data), map.size);
        gst_buffer_unmap(buffer, &map);
        if (self->callbacks.on_ts) {
            self->callbacks.on_ts(std::move(bytes));
        }
        return GST_FLOW_OK;
    }

    // Runs on the thread that posts the message; never blocks it.
    static GstBusSyncReply on_bus(GstBus*, GstMessage* message, gpointer user) {
        auto* self = static_cast<Impl*>(user);
        switch (GST_MESSAGE_TYPE(message)) {
            case GST_MESSAGE_ERROR: {
                GError* raw = nullptr;
                gchar* raw_debug = nullptr;
                gst_message_parse_error(message, &raw, &raw_debug);
                const ErrorPtr err(raw);
                const CharPtr debug(raw_debug);
                std::string text = err ? err->message : "unknown error";
                if (GST_MESSAGE_SRC(message) != nullptr) {
                    text +=
                        " (from " + std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ")";
                }
                {
                    const std::lock_guard lock(self->error_mutex);
                    if (self->first_error.empty()) {
                        self->first_error = text;
                    }
                }
                if (!self->reported_error.exchange(true) && self->callbacks.on_error) {
                    self->callbacks.on_error(std::move(text));
                }
                break;
            }
            case GST_MESSAGE_EOS:
                if (self->callbacks.on_eos) {
                    self->callbacks.on_eos();
                }
                break;
            default:
                break;
        }
        return GST_BUS_DROP;
    }
};

TsPipeline::TsPipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<TsPipeline>> TsPipeline::create(const PipelineSpec& spec, std::string& why) {
    if (!init_gstreamer(why)) {
        return make_error_code(Errc::media_error);
    }
    for (const auto& name : required_elements(spec)) {
        const FactoryPtr factory(gst_element_factory_find(name.c_str()));
        if (!factory) {
            why = "GStreamer element '" + name + "' is missing: install the Debian package " +
                  debian_package_for(name);
            return make_error_code(Errc::media_error);
        }
    }
    auto impl = std::make_unique<Impl>();
    const std::string description = describe(spec);
    GError* raw = nullptr;
    impl->pipeline = adopt_floating(gst_parse_launch(description.c_str(), &raw));
    const ErrorPtr err(raw);
    if (!impl->pipeline || err) {
        why = "cannot build the pipeline: " + std::string(err ? err->message : "unknown error");
        return make_error_code(Errc::media_error);
    }
    impl->sink.reset(gst_bin_get_by_name(GST_BIN(impl->pipeline.get()), "sink"));
    impl->bus.reset(gst_element_get_bus(impl->pipeline.get()));
    if (!impl->sink || !impl->bus) {
        why = "pipeline has no appsink";
        return make_error_code(Errc::media_error);
    }
    gst_app_sink_set_max_buffers(GST_APP_SINK(impl->sink.get()),
                                 static_cast<guint>(spec.max_buffers));
    auto pipeline = std::unique_ptr<TsPipeline>(new TsPipeline(std::move(impl)));
    pipeline->description_ = description;
    return pipeline;
}

Result<void> TsPipeline::start(Callbacks callbacks, std::string& why) {
    impl_->callbacks = std::move(callbacks);
    GstAppSinkCallbacks sink_callbacks{};
    sink_callbacks.new_sample = &Impl::on_new_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(impl_->sink.get()), &sink_callbacks, impl_.get(),
                               nullptr);
    gst_bus_set_sync_handler(impl_->bus.get(), &Impl::on_bus, impl_.get(), nullptr);
    if (gst_element_set_state(impl_->pipeline.get(), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        const std::string error = impl_->take_first_error();
        why = "the pipeline refused to start: " + (error.empty() ? "unknown error" : error);
        return make_error_code(Errc::media_error);
    }
    return {};
}

Result<void> TsPipeline::restart(std::string& why) {
    gst_element_set_state(impl_->pipeline.get(), GST_STATE_READY);
    gst_element_get_state(impl_->pipeline.get(), nullptr, nullptr, GST_CLOCK_TIME_NONE);
    if (gst_element_set_state(impl_->pipeline.get(), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        why = "the pipeline refused to restart: " + impl_->take_first_error();
        return make_error_code(Errc::media_error);
    }
    return {};
}

void TsPipeline::stop() {
    if (impl_ && impl_->pipeline) {
        gst_element_set_state(impl_->pipeline.get(), GST_STATE_NULL);
    }
}

TsPipeline::~TsPipeline() {
    stop();
    if (impl_ && impl_->bus) {
        gst_bus_set_sync_handler(impl_->bus.get(), nullptr, nullptr, nullptr);
    }
}

}  // namespace p2pls::source::gst
