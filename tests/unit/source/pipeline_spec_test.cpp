// The GStreamer pipeline descriptions: the caps and encoder settings the source promises
// (I420 before x264enc, zero latency, key-int-max from fps x chunk_ms, SPS/PPS on every key
// frame, mpegtsmux alignment 7), and the Debian package named for each element.
#include <gtest/gtest.h>

#include "source/gst/ts_pipeline.hpp"

namespace p2pls::source::gst {
namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(PipelineSpec, TestPatternEncodesWithTheRequestedSettings) {
    PipelineSpec spec;
    spec.encode = {.width = 640, .height = 360, .fps = 25, .bitrate_kbps = 500, .chunk_ms = 1000};
    const std::string d = describe(spec);
    EXPECT_TRUE(has(d, "videotestsrc is-live=true pattern=smpte horizontal-speed=4"));
    EXPECT_TRUE(has(d, "video/x-raw,format=I420,width=640,height=360,framerate=25/1 ! x264enc"));
    EXPECT_TRUE(has(d, "tune=zerolatency"));
    EXPECT_TRUE(has(d, "bitrate=500"));
    EXPECT_TRUE(has(d, "key-int-max=25"));
    EXPECT_TRUE(has(d, "h264parse config-interval=-1"));
    EXPECT_TRUE(has(d, "mpegtsmux name=mux alignment=7"));
    EXPECT_TRUE(has(d, "appsink name=sink sync=false drop=false"));
    EXPECT_FALSE(has(d, "audiotestsrc"));
    spec.audio = true;
    spec.encode.chunk_ms = 2000;
    EXPECT_TRUE(has(describe(spec), "audiotestsrc"));
    EXPECT_TRUE(has(describe(spec), "key-int-max=50"));
}

TEST(PipelineSpec, MediaInputIsPacedAndReencoded) {
    PipelineSpec spec;
    spec.kind = InputKind::media;
    spec.location = "file:///tmp/a \"b\".mp4";
    const std::string d = describe(spec);
    EXPECT_TRUE(has(d, "uridecodebin uri=\"file:///tmp/a \\\"b\\\".mp4\""));
    EXPECT_TRUE(has(d, "clocksync ! x264enc"));
}

TEST(PipelineSpec, ReplayHasNoEncoder) {
    PipelineSpec spec;
    spec.kind = InputKind::replay;
    spec.location = "/tmp/x.ts";
    const std::string d = describe(spec);
    EXPECT_FALSE(has(d, "x264enc"));
    EXPECT_TRUE(has(d, "tsparse set-timestamps=true"));
    EXPECT_TRUE(has(d, "clocksync"));
    const auto elements = required_elements(spec);
    EXPECT_EQ(std::count(elements.begin(), elements.end(), "x264enc"), 0);
}

TEST(PipelineSpec, MissingElementsNameTheirDebianPackage) {
    EXPECT_EQ(debian_package_for("x264enc"), "gstreamer1.0-plugins-ugly");
    EXPECT_EQ(debian_package_for("mpegtsmux"), "gstreamer1.0-plugins-bad");
    EXPECT_EQ(debian_package_for("tsdemux"), "gstreamer1.0-plugins-bad");
    EXPECT_EQ(debian_package_for("avdec_h264"), "gstreamer1.0-libav");
    EXPECT_EQ(debian_package_for("videotestsrc"), "gstreamer1.0-plugins-base");
}

}  // namespace
}  // namespace p2pls::source::gst
