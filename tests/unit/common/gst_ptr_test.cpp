#include "common/gst/gst_ptr.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/gst/gst_init.hpp"

namespace p2pls::gst {
namespace {

class GstPtrTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why;
        ASSERT_TRUE(init_gstreamer(why)) << why;
    }
};

// Sets *flag when the object it watches is finalised.
void watch(GstElement* element, bool* flag) {
    g_object_weak_ref(
        G_OBJECT(element), [](gpointer data, GObject*) { *static_cast<bool*>(data) = true; }, flag);
}

unsigned refcount(gpointer object) {
    return G_OBJECT(object)->ref_count;
}

TEST_F(GstPtrTest, InitialisationRunsOnceAndKeepsSucceeding) {
    std::string why;
    EXPECT_TRUE(init_gstreamer(why));
    EXPECT_TRUE(init_gstreamer(why));
    EXPECT_TRUE(why.empty()) << why;
    EXPECT_TRUE(gst_is_initialized());
}

TEST_F(GstPtrTest, AdoptFloatingSinksTheFloatingReference) {
    GstElement* raw = gst_bin_new("bin");  // floating, like gst_parse_launch's result
    ASSERT_TRUE(g_object_is_floating(raw));
    bool finalised = false;
    watch(raw, &finalised);
    {
        const ElementPtr bin = adopt_floating(raw);
        EXPECT_FALSE(g_object_is_floating(bin.get()));
        EXPECT_EQ(refcount(bin.get()), 1U);
    }
    EXPECT_TRUE(finalised);
}

TEST_F(GstPtrTest, AdoptingANonFloatingObjectOwnsAnExtraReference) {
    GstElement* raw = gst_bin_new("bin");
    gst_object_ref_sink(raw);  // now ours, not floating
    bool finalised = false;
    watch(raw, &finalised);
    {
        const ElementPtr bin = adopt_floating(raw);
        EXPECT_EQ(refcount(raw), 2U);
    }
    EXPECT_FALSE(finalised);
    EXPECT_EQ(refcount(raw), 1U);
    gst_object_unref(raw);
    EXPECT_TRUE(finalised);
}

TEST_F(GstPtrTest, TransferFullResultsAreWrappedWithoutAnExtraReference) {
    const ElementPtr pipeline = adopt_floating(gst_pipeline_new("p"));
    const BusPtr bus(gst_element_get_bus(pipeline.get()));  // transfer full
    ASSERT_TRUE(bus);
    // The pipeline holds one reference, the BusPtr the other.
    EXPECT_EQ(refcount(bus.get()), 2U);
}

TEST_F(GstPtrTest, MovingAnOwnerDoesNotTouchTheCount) {
    bool finalised = false;
    ElementPtr a = adopt_floating(gst_bin_new("bin"));
    watch(a.get(), &finalised);
    ElementPtr b = std::move(a);
    EXPECT_EQ(refcount(b.get()), 1U);
    b.reset();
    EXPECT_TRUE(finalised);
}

TEST_F(GstPtrTest, NullStaysEmpty) {
    EXPECT_FALSE(adopt_floating<GstElement>(nullptr));
    const MessagePtr none(nullptr);
    EXPECT_FALSE(none);
}

TEST_F(GstPtrTest, MiniObjectsAreUnrefedOnce) {
    GstMessage* raw = gst_message_new_eos(nullptr);
    gst_message_ref(raw);  // keep one for looking at the count
    {
        const MessagePtr message(raw);
        EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(raw), 2);
    }
    EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(raw), 1);
    gst_message_unref(raw);

    GstBuffer* buffer = gst_buffer_new();
    gst_buffer_ref(buffer);
    { const BufferPtr owned(buffer); }
    EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(buffer), 1);
    gst_buffer_unref(buffer);
}

TEST_F(GstPtrTest, GlibErrorsAndStringsAreFreed) {
    // Run under ASan, a leak or a double free here fails the test.
    const ErrorPtr error(g_error_new_literal(GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "boom"));
    EXPECT_STREQ(error->message, "boom");
    const CharPtr text(g_strdup("text"));
    EXPECT_STREQ(text.get(), "text");
}

}  // namespace
}  // namespace p2pls::gst
