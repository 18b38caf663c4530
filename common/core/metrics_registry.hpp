// Counters and gauges rendered in the Prometheus text exposition format (version 0.0.4),
// served at /metrics by every role. Not thread-safe: each registry belongs to one
// io_context thread, like the rest of a role's state.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p2pls {

class MetricsRegistry {
  public:
    using Labels = std::vector<std::pair<std::string, std::string>>;

    // One time series: a value under a name and a label set.
    class Series {
      public:
        void inc(double by = 1.0) noexcept { value_ += by; }
        void set(double value) noexcept { value_ = value; }
        [[nodiscard]] double value() const noexcept { return value_; }

      private:
        double value_ = 0.0;
    };

    // Returns the counter `name{labels}`, creating it (and its family) on first use.
    // References stay valid for the registry's lifetime. A name used with another type,
    // or not a valid metric name, is a programming error: std::invalid_argument.
    Series& counter(std::string_view name, std::string_view help, Labels labels = {});
    Series& gauge(std::string_view name, std::string_view help, Labels labels = {});

    // The whole registry in the text exposition format, families sorted by name.
    [[nodiscard]] std::string render() const;

  private:
    struct Family {
        std::string help;
        std::string type;  // "counter" | "gauge"
        std::map<Labels, std::unique_ptr<Series>> series;
    };

    Series& series(std::string_view name, std::string_view help, std::string_view type,
                   Labels labels);

    std::map<std::string, Family, std::less<>> families_;
};

}  // namespace p2pls
