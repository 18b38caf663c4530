// The typed error of every tracker request: an HTTP status, a short machine-readable code
// and a sentence for a person. It becomes an http_api::ErrorBody on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace p2pls::tracker {

struct ApiError {
    unsigned status = 400;            // HTTP status (4xx for the asker's mistakes, 503 when full)
    std::string error;                // e.g. "bad_endpoint", "unknown_channel"
    std::string detail;               // names the field and what was wrong with it
    std::uint32_t retry_after_s = 0;  // a busy tracker's Retry-After (0: none said)
};

inline ApiError bad_request(std::string error, std::string detail) {
    return {400, std::move(error), std::move(detail)};
}

// A value or an ApiError (std::expected is C++23). T must be default-constructible; it
// holds a default T on error (a std::variant of a protobuf message trips g++ 12's
// -Wmaybe-uninitialized).
template <class T>
class Expected {
  public:
    Expected() = default;  // a default T (Asio's co_spawn needs default construction)
    Expected(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
    Expected(ApiError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    T& value() { return value_; }
    const T& value() const { return value_; }
    T& operator*() { return value_; }
    const T& operator*() const { return value_; }
    T* operator->() { return &value_; }
    const T* operator->() const { return &value_; }
    // Only valid when !has_value().
    [[nodiscard]] const ApiError& error() const { return *error_; }

  private:
    T value_{};
    std::optional<ApiError> error_;
};

}  // namespace p2pls::tracker
