#include "common/core/metrics_registry.hpp"

#include <gtest/gtest.h>

namespace p2pls {
namespace {

TEST(MetricsRegistry, RendersCountersAndGaugesInExpositionFormat) {
    MetricsRegistry registry;
    registry.counter("p2pls_announces_total", "Announces handled.").inc(3);
    registry.gauge("p2pls_members", "Members per channel.", {{"channel", "news"}}).set(42);
    registry.gauge("p2pls_members", "Members per channel.", {{"channel", "sport"}}).set(7);
    EXPECT_EQ(registry.render(),
              "# HELP p2pls_announces_total Announces handled.\n"
              "# TYPE p2pls_announces_total counter\n"
              "p2pls_announces_total 3\n"
              "# HELP p2pls_members Members per channel.\n"
              "# TYPE p2pls_members gauge\n"
              "p2pls_members{channel=\"news\"} 42\n"
              "p2pls_members{channel=\"sport\"} 7\n");
}

TEST(MetricsRegistry, SameSeriesIsSameObject) {
    MetricsRegistry registry;
    auto& a = registry.counter("x_total", "x", {{"k", "v"}});
    auto& b = registry.counter("x_total", "x", {{"k", "v"}});
    a.inc();
    b.inc();
    EXPECT_EQ(&a, &b);
    EXPECT_EQ(a.value(), 2.0);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
    MetricsRegistry registry;
    registry.gauge("g", "line1\nline2 \\", {{"path", "a\"b\\c\nd"}}).set(1.5);
    EXPECT_EQ(registry.render(),
              "# HELP g line1\\nline2 \\\\\n"
              "# TYPE g gauge\n"
              "g{path=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST(MetricsRegistry, RejectsBadNamesAndTypeClashes) {
    MetricsRegistry registry;
    EXPECT_THROW(registry.counter("9lives", "x"), std::invalid_argument);
    EXPECT_THROW(registry.counter("has-dash", "x"), std::invalid_argument);
    EXPECT_THROW(registry.counter("ok", "x", {{"bad:label", "v"}}), std::invalid_argument);
    registry.counter("ok", "x");
    EXPECT_THROW(registry.gauge("ok", "x"), std::invalid_argument);
}

}  // namespace
}  // namespace p2pls
