// ChunkBitmap against a model (the set of held seqs): decode a buffer map's bits, check
// that they round-trip and read back bit for bit, then run set/reset/slide_to/missing/
// contiguous_from/last_held with bases anywhere, near 2^64 included, and check each answer
// against the model.
#include <algorithm>
#include <cstdint>
#include <set>

#include "common/core/chunk_bitmap.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using p2pls::ChunkBitmap;
using p2pls::ChunkSeq;

// Bases where overflow would hide: small, anywhere, and the top of the range.
std::uint64_t pick_base(p2pls::fuzz::FuzzInput& in) {
    switch (in.integral<std::uint8_t>() % 3) {
        case 0:
            return in.in_range(0, 2 * ChunkBitmap::kMaxWindow);
        case 1:
            return in.integral<std::uint64_t>();
        default:
            return UINT64_MAX - in.in_range(0, 2 * ChunkBitmap::kMaxWindow);
    }
}

struct Model {
    std::uint64_t base;
    std::uint32_t window;
    std::set<std::uint64_t> held;

    [[nodiscard]] bool in_window(std::uint64_t s) const { return s >= base && s - base < window; }
};

void check(const ChunkBitmap& map, const Model& model) {
    FUZZ_CHECK(map.base().value() == model.base);
    FUZZ_CHECK(map.window() == model.window);
    // The window never wraps past 2^64: end() is a real seq above every one in it.
    FUZZ_CHECK(map.end().value() - map.base().value() == map.window());
    FUZZ_CHECK(map.count() == model.held.size());
    const auto last = map.last_held();
    FUZZ_CHECK(last.has_value() == !model.held.empty());
    if (last) {
        FUZZ_CHECK(last->value() == *model.held.rbegin());
    }
    for (const auto s : model.held) {
        FUZZ_CHECK(map.test(ChunkSeq{s}));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::FuzzInput in(data, size);
    const std::uint64_t base = pick_base(in);
    const auto window = static_cast<std::uint32_t>(in.in_range(0, ChunkBitmap::kMaxWindow + 1));
    const std::string_view bits = in.bytes((ChunkBitmap::kMaxWindow + 15) / 8);

    auto decoded = ChunkBitmap::decode(ChunkSeq{base}, window, bits);
    if (!decoded) {
        return 0;
    }
    ChunkBitmap map = std::move(*decoded);
    FUZZ_CHECK(map.encode() == bits);
    Model model{base, window, {}};
    for (std::uint32_t i = 0; i < window; ++i) {
        if ((static_cast<unsigned char>(bits[i / 8]) >> (i % 8)) & 1U) {
            model.held.insert(base + i);
        }
    }
    check(map, model);

    while (!in.empty()) {
        const auto op = in.integral<std::uint8_t>() % 5;
        // A seq around the window, so that the edges are hit often.
        const std::uint64_t s =
            model.base + in.in_range(0, model.window + 2) - std::min<std::uint64_t>(model.base, 1);
        if (op == 0) {
            FUZZ_CHECK(map.set(ChunkSeq{s}) == model.in_window(s));
            if (model.in_window(s)) {
                model.held.insert(s);
            }
        } else if (op == 1) {
            map.reset(ChunkSeq{s});
            model.held.erase(s);
        } else if (op == 2) {
            const std::uint64_t to = in.boolean() ? pick_base(in) : s;
            map.slide_to(ChunkSeq{to});
            model.base = map.base().value();
            // The base is clamped so that the window fits; nothing else moves.
            FUZZ_CHECK(model.base == std::min(to, ChunkBitmap::kMaxBase));
            std::erase_if(model.held, [&](std::uint64_t h) { return !model.in_window(h); });
        } else if (op == 3) {
            const std::uint64_t to = s + in.in_range(0, model.window + 2);
            const auto missing = map.missing(ChunkSeq{s}, ChunkSeq{std::max(s, to)});
            std::uint64_t expected = 0;
            for (std::uint64_t x = s; x < std::max(s, to); ++x) {
                if (model.in_window(x) && !model.held.contains(x)) {
                    FUZZ_CHECK(expected < missing.size() && missing[expected].value() == x);
                    ++expected;
                }
            }
            FUZZ_CHECK(expected == missing.size());
        } else {
            std::uint32_t run = 0;
            while (model.held.contains(s + run)) {
                ++run;
            }
            FUZZ_CHECK(map.contiguous_from(ChunkSeq{s}) == run);
        }
        check(map, model);
    }
    return 0;
}
