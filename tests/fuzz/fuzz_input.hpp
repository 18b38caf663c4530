// What every fuzz target shares: the libFuzzer entry point's declaration, a reader that
// splits the fuzzer's bytes into typed values, and FUZZ_CHECK, which aborts on a broken
// invariant so that libFuzzer (and the replay driver) reports the input that broke it.
//
// Why a reader of our own and not LLVM's FuzzedDataProvider: the same target sources also
// build with g++ for the corpus replay in the normal build, where that header is absent.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#define FUZZ_CHECK(condition)                                                          \
    do {                                                                               \
        if (!(condition)) {                                                            \
            std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, \
                         #condition);                                                  \
            std::abort();                                                              \
        }                                                                              \
    } while (false)

namespace p2pls::fuzz {

// Takes values off the front of the input; once it is exhausted every value is zero or
// empty, so a target never reads past the end whatever it asks for.
class FuzzInput {
  public:
    FuzzInput(const std::uint8_t* data, std::size_t size)
        : data_(reinterpret_cast<const char*>(data)), size_(size) {}

    [[nodiscard]] bool empty() const noexcept { return pos_ >= size_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return size_ - pos_; }

    template <class T>
    T integral() {
        T value{};
        const std::size_t n = std::min(sizeof(T), remaining());
        std::memcpy(&value, data_ + pos_, n);
        pos_ += n;
        return value;
    }

    // A value in [lo, hi] (hi >= lo).
    std::uint64_t in_range(std::uint64_t lo, std::uint64_t hi) {
        const auto raw = integral<std::uint64_t>();
        const std::uint64_t span = hi - lo;
        return span == UINT64_MAX ? raw : lo + raw % (span + 1);
    }

    bool boolean() { return (integral<std::uint8_t>() & 1) != 0; }

    // Up to max_size bytes, the length taken from the input first.
    std::string_view bytes(std::size_t max_size) {
        // The length first: remaining() must be read after in_range has consumed it.
        const auto wanted = static_cast<std::size_t>(in_range(0, max_size));
        const std::size_t n = std::min(wanted, remaining());
        const std::string_view out(data_ + pos_, n);
        pos_ += n;
        return out;
    }

    // Everything not consumed yet.
    std::string_view rest() {
        const std::string_view out(data_ + pos_, remaining());
        pos_ = size_;
        return out;
    }

  private:
    const char* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// Fuzzed strings are rarely UTF-8, and protobuf logs two lines for each one it parses or
// writes: call this first in targets that parse messages.
inline void quiet_protobuf() {
    static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
    (void)quiet;
}

// The reader's mirror: builds an input that a FuzzInput reads back as the given values, so
// that corpus seeds (make_seeds.cpp) can be written from real messages.
class FuzzInputWriter {
  public:
    template <class T>
    FuzzInputWriter& integral(T value) {
        out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
        return *this;
    }
    FuzzInputWriter& in_range(std::uint64_t value, std::uint64_t lo) {
        return integral<std::uint64_t>(value - lo);
    }
    FuzzInputWriter& boolean(bool value) { return integral<std::uint8_t>(value ? 1 : 0); }
    FuzzInputWriter& bytes(std::string_view value) {
        integral<std::uint64_t>(value.size());
        out_ += value;
        return *this;
    }
    FuzzInputWriter& rest(std::string_view value) {
        out_ += value;
        return *this;
    }
    [[nodiscard]] const std::string& str() const noexcept { return out_; }

  private:
    std::string out_;
};

}  // namespace p2pls::fuzz
