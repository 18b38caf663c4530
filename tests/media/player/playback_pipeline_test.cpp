// The GStreamer playback pipeline fed with real key-frame-aligned TS chunks: frames come
// out, the first one is reported on the io thread, the file sink records, bad payloads
// do not crash it, its waiting queue stays bounded, and a window renders under Xvfb.
#include <gst/app/gstappsink.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/gst/gst_ptr.hpp"
#include "player/gst/playback_pipeline.hpp"
#include "ts_fixture.hpp"

namespace p2pls::player {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class PlaybackPipelineTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why;
        chunks_ = &test::ts_chunks(6, why);
        ASSERT_GE(chunks_->size(), 4u) << why;
    }

    // Runs the io_context until `pred` or `limit` (a hang fails the caller's assertion).
    template <class Pred>
    bool run_until(Pred pred, std::chrono::seconds limit = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred() && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(10ms);
        }
        return pred();
    }

    // Pushes every chunk, `gap` apart (driven by the io_context, as the player does).
    void feed(gst::PlaybackPipeline& p, std::chrono::milliseconds gap) {
        for (const auto& c : *chunks_) {
            p.push(c);
            io_.run_for(gap);
        }
    }

    asio::io_context io_;
    // Keeps run_for() running (and sleeping) while nothing is queued yet.
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    const std::vector<Payload>* chunks_ = nullptr;
};

TEST_F(PlaybackPipelineTest, DecodesFramesAndReportsTheFirstOnTheIoThread) {
    std::string why;
    auto p = gst::PlaybackPipeline::create(io_, {.kind = SinkKind::fake}, {}, why);
    ASSERT_TRUE(p) << why;
    const auto io_thread = std::this_thread::get_id();
    int first_frames = 0;
    bool on_io_thread = false;
    std::string error;
    ASSERT_TRUE((*p)->start({.on_first_frame =
                                 [&] {
                                     ++first_frames;
                                     on_io_thread = std::this_thread::get_id() == io_thread;
                                 },
                             .on_error = [&](std::string e) { error = std::move(e); }},
                            why))
        << why;
    EXPECT_FALSE((*p)->push(nullptr));
    feed(**p, 100ms);
    // 6 s at 25 fps; the tail may still sit in the decoder, but most must be out.
    ASSERT_TRUE(run_until([&] { return (*p)->frames_decoded() >= 100; }))
        << "decoded " << (*p)->frames_decoded() << " frames; error: " << error;
    EXPECT_EQ(first_frames, 1);
    EXPECT_TRUE(on_io_thread);
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_EQ((*p)->chunks_pushed(), chunks_->size());
    (*p)->stop();
    (*p)->stop();  // twice: harmless
}

TEST_F(PlaybackPipelineTest, FileSinkRecordsAStreamFfprobeDecodes) {
    const p2pls::testing::TempDir dir("p2pls-player-rec");
    const auto path = dir.path() / "rec.ts";
    std::string why;
    auto p = gst::PlaybackPipeline::create(io_, {.kind = SinkKind::file, .path = path.string()}, {},
                                           why);
    ASSERT_TRUE(p) << why;
    ASSERT_TRUE((*p)->start({}, why)) << why;
    std::size_t bytes = 0;
    for (const auto& c : *chunks_) {
        bytes += c->size();
    }
    feed(**p, 50ms);
    // Every chunk pushed, not only enough decoded: on a loaded machine the decoder can
    // reach 100 frames while the last chunks are still being fed.
    ASSERT_TRUE(run_until(
        [&] { return (*p)->frames_decoded() >= 100 && (*p)->chunks_pushed() == chunks_->size(); }));
    (*p)->stop();
    EXPECT_EQ(std::filesystem::file_size(path), bytes);
    if (!test::have_program("ffprobe")) {
        GTEST_SKIP() << "ffprobe absent (Debian package ffmpeg)";
    }
    const auto [code, text] = p2pls::testing::run(
        {"ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
         "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path.string()},
        std::chrono::seconds(30));
    ASSERT_EQ(code, 0) << text;
    EXPECT_EQ(text.rfind("h264,", 0), 0u) << text;
    EXPECT_GE(std::stoi(text.substr(5)), 140) << text;
}

TEST_F(PlaybackPipelineTest, GarbageIsSurvivedAndRealChunksStillDecode) {
    std::string why;
    auto p = gst::PlaybackPipeline::create(io_, {.kind = SinkKind::fake}, {}, why);
    ASSERT_TRUE(p) << why;
    std::string error;
    ASSERT_TRUE((*p)->start(
        {.on_first_frame = {}, .on_error = [&](std::string e) { error = std::move(e); }}, why));
    // Not TS at all, then TS sync bytes with junk, then a truncated chunk.
    (*p)->push(std::make_shared<const std::string>(100'000, '\xAB'));
    std::string fake_ts;
    for (int i = 0; i < 500; ++i) {
        fake_ts += '\x47';
        fake_ts += std::string(187, static_cast<char>(i));
    }
    (*p)->push(std::make_shared<const std::string>(fake_ts));
    (*p)->push(std::make_shared<const std::string>(chunks_->at(0)->substr(0, 5000)));
    io_.run_for(300ms);
    EXPECT_EQ((*p)->frames_decoded(), 0u);
    for (std::size_t i = 1; i < chunks_->size(); ++i) {
        (*p)->push(chunks_->at(i));
        io_.run_for(50ms);
    }
    EXPECT_TRUE(run_until([&] { return (*p)->frames_decoded() >= 50; }))
        << "decoded " << (*p)->frames_decoded() << "; error: " << error;
}

TEST_F(PlaybackPipelineTest, WaitingQueueIsBoundedWhenAppsrcIsFull) {
    std::string why;
    auto p = gst::PlaybackPipeline::create(io_, {.kind = SinkKind::fake},
                                           {.max_queued_chunks = 2, .appsrc_max_bytes = 1000}, why);
    ASSERT_TRUE(p) << why;
    EXPECT_FALSE((*p)->push(chunks_->at(0)));  // not started yet: refused
    ASSERT_TRUE((*p)->start({}, why));
    // Pushed in one go without letting the io thread drain: appsrc says enough at once.
    for (int round = 0; round < 10; ++round) {
        for (const auto& c : *chunks_) {
            (*p)->push(c);
        }
    }
    EXPECT_LE((*p)->chunks_waiting(), 2u);
    EXPECT_GT((*p)->chunks_dropped(), 0u);
    // need-data comes back as appsrc drains: the waiting chunks go in, nothing is stuck.
    const auto pushed = (*p)->chunks_pushed();
    EXPECT_TRUE(run_until([&] { return (*p)->chunks_waiting() == 0; }, 10s));
    EXPECT_GT((*p)->chunks_pushed(), pushed);
    (*p)->stop();
}

TEST_F(PlaybackPipelineTest, WindowSinkRendersUnderXvfb) {
    if (!test::have_program("Xvfb")) {
        GTEST_SKIP() << "Xvfb absent: install the Debian package xvfb to run this test";
    }
    if (const p2pls::gst::FactoryPtr f(gst_element_factory_find("ximagesrc")); !f) {
        GTEST_SKIP() << "ximagesrc absent (gstreamer1.0-plugins-good) for the screenshot";
    }
    const std::string display = ":" + std::to_string(90 + getpid() % 500);
    test::Xvfb xvfb(display);
    ASSERT_TRUE(run_until([&] { return xvfb.ready() || !xvfb.running(); }, 10s));
    ASSERT_TRUE(xvfb.running()) << "Xvfb did not start on " << display;
    setenv("DISPLAY", display.c_str(), 1);

    std::string why;
    // Before playing, the screen is uniform (Xvfb's black root window).
    EXPECT_LT(test::screen_contrast(display, why), 5.0) << why;

    auto p = gst::PlaybackPipeline::create(io_, {.kind = SinkKind::window}, {}, why);
    ASSERT_TRUE(p) << why;
    std::string error;
    ASSERT_TRUE((*p)->start(
        {.on_first_frame = {}, .on_error = [&](std::string e) { error = std::move(e); }}, why))
        << why;
    // At real time, so that the synchronised sink shows frames as they fall due.
    for (const auto& c : *chunks_) {
        (*p)->push(c);
        io_.run_for(500ms);
        if (!error.empty()) {
            break;
        }
    }
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_GT((*p)->frames_decoded(), 25u);
    // SMPTE bars in a window: far from uniform.
    const double contrast = test::screen_contrast(display, why);
    (*p)->stop();
    EXPECT_GT(contrast, 20.0) << why;
    unsetenv("DISPLAY");
}

}  // namespace
}  // namespace p2pls::player
