#include "player/gst/playback_pipeline.hpp"

#include <gst/app/gstappsrc.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <deque>
#include <mutex>

#include "common/gst/gst_init.hpp"
#include "common/gst/gst_ptr.hpp"

namespace p2pls::player::gst {

namespace asio = boost::asio;

using p2pls::gst::adopt_floating;
using p2pls::gst::BusPtr;
using p2pls::gst::CharPtr;
using p2pls::gst::ElementPtr;
using p2pls::gst::ErrorPtr;
using p2pls::gst::FactoryPtr;
using p2pls::gst::MessagePtr;
using p2pls::gst::PadPtr;

namespace {

constexpr const char* kTsCaps = "video/mpegts,systemstream=(boolean)true,packetsize=(int)188";

std::string sink_part(const SinkSpec& sink) {
    switch (sink.kind) {
        case SinkKind::window:
            // sync: frames are shown at their time, which smooths the 1-chunk arrival bursts.
            return "autovideosink name=sink sync=true";
        case SinkKind::automatic:
        case SinkKind::fake:
        case SinkKind::file:
            break;
    }
    return "fakesink name=sink sync=false";
}

// GStreamer initialised, and autovideosink kept from ever picking the DirectFB sink:
// without a framebuffer console it crashes inside libdirectfb (seen with
// gstreamer1.0-plugins-bad 1.22).
bool init_playback(std::string& why) {
    if (!p2pls::gst::init_gstreamer(why)) {
        return false;
    }
    static std::once_flag once;
    std::call_once(once, [] {
        if (GstPluginFeature* dfb = GST_PLUGIN_FEATURE(gst_element_factory_find("dfbvideosink"))) {
            gst_plugin_feature_set_rank(dfb, GST_RANK_NONE);
            gst_object_unref(dfb);
        }
    });
    return true;
}

}  // namespace

std::string describe(const SinkSpec& sink) {
    std::string src = std::string(
                          "appsrc name=src is-live=true format=time do-timestamp=true "
                          "stream-type=stream caps=\"") +
                      kTsCaps + "\"";
    const std::string decode =
        "tsdemux name=demux ! queue max-size-time=3000000000 ! h264parse ! "
        "avdec_h264 name=dec ! videoconvert ! " +
        sink_part(sink);
    if (sink.kind == SinkKind::file) {
        return src + " ! tee name=t ! queue ! " + decode +
               "  t. ! queue ! filesink name=rec sync=false";
    }
    return src + " ! " + decode;
}

std::vector<std::string> required_elements(const SinkSpec& sink) {
    std::vector<std::string> e{"appsrc",    "tsdemux",    "queue",
                               "h264parse", "avdec_h264", "videoconvert"};
    if (sink.kind == SinkKind::window) {
        e.emplace_back("autovideosink");
    } else {
        e.emplace_back("fakesink");
    }
    if (sink.kind == SinkKind::file) {
        e.emplace_back("tee");
        e.emplace_back("filesink");
    }
    return e;
}

std::string debian_package_for(const std::string& element) {
    if (element == "tsdemux" || element == "h264parse") {
        return "gstreamer1.0-plugins-bad";
    }
    if (element == "avdec_h264") {
        return "gstreamer1.0-libav";
    }
    if (element == "autovideosink") {
        return "gstreamer1.0-plugins-good (and gstreamer1.0-x or gstreamer1.0-gl for a window)";
    }
    if (element == "queue" || element == "tee" || element == "fakesink" || element == "filesink") {
        return "libgstreamer1.0-0";
    }
    return "gstreamer1.0-plugins-base";
}

struct PlaybackPipeline::Impl {
    explicit Impl(asio::io_context& io_context) : io(io_context) {}

    asio::io_context& io;
    std::weak_ptr<Impl> self;
    PipelineLimits limits;
    std::string description;
    ElementPtr pipeline;
    ElementPtr appsrc;
    BusPtr bus;
    PipelineEvents events;
    bool started = false;
    bool stopped = false;

    // Touched by streaming threads.
    std::atomic<bool> wants_data{true};
    std::atomic<std::uint64_t> frames{0};

    // io thread only.
    std::deque<Payload> waiting;
    std::uint64_t pushed = 0;
    std::uint64_t dropped = 0;

    void drain() {
        while (!stopped && wants_data.load() && !waiting.empty()) {
            Payload p = std::move(waiting.front());
            waiting.pop_front();
            push_now(std::move(p));
        }
    }

    void push_now(Payload p) {
        // Zero copy: the buffer borrows the payload and keeps it alive until GStreamer is
        // done with it.
        auto* keep = new Payload(p);
        GstBuffer* buffer = gst_buffer_new_wrapped_full(
            GST_MEMORY_FLAG_READONLY,
            const_cast<char*>(p->data()),  // NOLINT: read-only memory, never written
            p->size(), 0, p->size(), keep,
            [](gpointer data) { delete static_cast<Payload*>(data); });
        // push_buffer takes the buffer (transfer full) whatever it returns.
        if (gst_app_src_push_buffer(GST_APP_SRC(appsrc.get()), buffer) == GST_FLOW_OK) {
            ++pushed;
        }
    }

    // Posts `fn` to the io thread; it runs only while this Impl is alive and not stopped.
    template <class Fn>
    void post(Fn fn) {
        asio::post(io, [weak = self, fn = std::move(fn)]() mutable {
            if (auto me = weak.lock(); me && !me->stopped) {
                fn(*me);
            }
        });
    }

    void on_message(GstMessage* message) {
        switch (GST_MESSAGE_TYPE(message)) {
            case GST_MESSAGE_ERROR: {
                GError* raw = nullptr;
                gchar* debug_raw = nullptr;
                gst_message_parse_error(message, &raw, &debug_raw);
                const ErrorPtr err(raw);
                const CharPtr debug(debug_raw);
                const CharPtr who(gst_object_get_path_string(GST_MESSAGE_SRC(message)));
                std::string text = std::string("GStreamer error from ") + (who ? who.get() : "?") +
                                   ": " + (err ? err->message : "unknown");
                if (events.on_error) {
                    events.on_error(std::move(text));
                }
                break;
            }
            case GST_MESSAGE_WARNING: {
                GError* raw = nullptr;
                gchar* debug_raw = nullptr;
                gst_message_parse_warning(message, &raw, &debug_raw);
                const ErrorPtr err(raw);
                const CharPtr debug(debug_raw);
                if (events.on_warning) {
                    events.on_warning(std::string("GStreamer warning: ") +
                                      (err ? err->message : "unknown"));
                }
                break;
            }
            case GST_MESSAGE_EOS:
                if (events.on_error && !stopped) {
                    events.on_error("GStreamer: unexpected end of stream");
                }
                break;
            default:
                break;
        }
    }
};

namespace {

// Bus sync handler: runs on whichever thread posted the message; hands it to the io thread.
GstBusSyncReply bus_sync_handler(GstBus* /*bus*/, GstMessage* message, gpointer user_data) {
    auto* impl = static_cast<PlaybackPipeline::Impl*>(user_data);
    const auto type = GST_MESSAGE_TYPE(message);
    if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_WARNING || type == GST_MESSAGE_EOS) {
        auto held = std::make_shared<MessagePtr>(gst_message_ref(message));
        impl->post([held](PlaybackPipeline::Impl& me) { me.on_message(held->get()); });
    }
    return GST_BUS_DROP;
}

GstPadProbeReturn frame_probe(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer user_data) {
    auto* impl = static_cast<PlaybackPipeline::Impl*>(user_data);
    if (impl->frames.fetch_add(1) == 0) {
        impl->post([](PlaybackPipeline::Impl& me) {
            if (me.events.on_first_frame) {
                me.events.on_first_frame();
            }
        });
    }
    return GST_PAD_PROBE_OK;
}

void need_data(GstAppSrc* /*src*/, guint /*length*/, gpointer user_data) {
    auto* impl = static_cast<PlaybackPipeline::Impl*>(user_data);
    if (!impl->wants_data.exchange(true)) {
        impl->post([](PlaybackPipeline::Impl& me) { me.drain(); });
    }
}

void enough_data(GstAppSrc* /*src*/, gpointer user_data) {
    static_cast<PlaybackPipeline::Impl*>(user_data)->wants_data.store(false);
}

}  // namespace

Result<std::unique_ptr<PlaybackPipeline>> PlaybackPipeline::create(asio::io_context& io,
                                                                   const SinkSpec& sink,
                                                                   PipelineLimits limits,
                                                                   std::string& why) {
    if (!init_playback(why)) {
        return Errc::media_error;
    }
    for (const auto& name : required_elements(sink)) {
        const FactoryPtr factory(gst_element_factory_find(name.c_str()));
        if (!factory) {
            why = "GStreamer element '" + name + "' is missing: install the Debian package " +
                  debian_package_for(name);
            return Errc::media_error;
        }
    }
    auto impl = std::make_shared<Impl>(io);
    impl->self = impl;
    impl->limits = limits;
    impl->description = describe(sink);

    GError* raw = nullptr;
    impl->pipeline = adopt_floating(gst_parse_launch(impl->description.c_str(), &raw));
    const ErrorPtr err(raw);
    if (!impl->pipeline || err) {
        why = std::string("cannot build the playback pipeline: ") +
              (err ? err->message : "gst_parse_launch failed");
        return Errc::media_error;
    }
    impl->appsrc.reset(gst_bin_get_by_name(GST_BIN(impl->pipeline.get()), "src"));
    const ElementPtr dec(gst_bin_get_by_name(GST_BIN(impl->pipeline.get()), "dec"));
    if (!impl->appsrc || !dec) {
        why = "playback pipeline lacks its appsrc or decoder";
        return Errc::media_error;
    }
    if (sink.kind == SinkKind::file) {
        const ElementPtr rec(gst_bin_get_by_name(GST_BIN(impl->pipeline.get()), "rec"));
        if (!rec) {
            why = "playback pipeline lacks its recorder";
            return Errc::media_error;
        }
        g_object_set(rec.get(), "location", sink.path.c_str(), nullptr);
    }
    g_object_set(impl->appsrc.get(), "max-bytes", static_cast<guint64>(limits.appsrc_max_bytes),
                 nullptr);

    GstAppSrcCallbacks callbacks{};
    callbacks.need_data = need_data;
    callbacks.enough_data = enough_data;
    gst_app_src_set_callbacks(GST_APP_SRC(impl->appsrc.get()), &callbacks, impl.get(), nullptr);

    const PadPtr pad(gst_element_get_static_pad(dec.get(), "src"));
    gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, frame_probe, impl.get(), nullptr);

    impl->bus.reset(gst_element_get_bus(impl->pipeline.get()));
    gst_bus_set_sync_handler(impl->bus.get(), bus_sync_handler, impl.get(), nullptr);
    return std::unique_ptr<PlaybackPipeline>(new PlaybackPipeline(std::move(impl)));
}

PlaybackPipeline::PlaybackPipeline(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

PlaybackPipeline::~PlaybackPipeline() {
    stop();
    // No thread calls into Impl any more (state NULL joined them); detach the handlers.
    gst_bus_set_sync_handler(impl_->bus.get(), nullptr, nullptr, nullptr);
}

Result<void> PlaybackPipeline::start(PipelineEvents events, std::string& why) {
    if (impl_->started || impl_->stopped) {
        why = "the playback pipeline was already started";
        return Errc::message_unexpected;
    }
    impl_->events = std::move(events);
    impl_->started = true;
    if (gst_element_set_state(impl_->pipeline.get(), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        why = "the playback pipeline refused to start (for a window: is there a display?)";
        return Errc::media_error;
    }
    return {};
}

bool PlaybackPipeline::push(Payload payload) {
    Impl& me = *impl_;
    if (!me.started || me.stopped || !payload || payload->empty()) {
        return false;
    }
    bool kept = true;
    me.waiting.push_back(std::move(payload));
    while (me.waiting.size() > me.limits.max_queued_chunks) {
        me.waiting.pop_front();
        ++me.dropped;
        kept = false;
    }
    me.drain();
    return kept;
}

void PlaybackPipeline::stop() {
    Impl& me = *impl_;
    if (me.stopped) {
        return;
    }
    me.stopped = true;
    me.waiting.clear();
    if (me.started) {
        gst_app_src_end_of_stream(GST_APP_SRC(me.appsrc.get()));
    }
    // NULL joins the streaming threads; the recorder's file is closed here.
    gst_element_set_state(me.pipeline.get(), GST_STATE_NULL);
}

std::uint64_t PlaybackPipeline::frames_decoded() const noexcept {
    return impl_->frames.load();
}
std::uint64_t PlaybackPipeline::chunks_pushed() const noexcept {
    return impl_->pushed;
}
std::uint64_t PlaybackPipeline::chunks_dropped() const noexcept {
    return impl_->dropped;
}
std::size_t PlaybackPipeline::chunks_waiting() const noexcept {
    return impl_->waiting.size();
}
const std::string& PlaybackPipeline::description() const noexcept {
    return impl_->description;
}

}  // namespace p2pls::player::gst
