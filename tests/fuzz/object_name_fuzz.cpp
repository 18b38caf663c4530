// DECADE object names and their seqs: object_seq is the inverse of object_name, names are
// always valid URL path segments, and a name parses under at most the prefix it was made
// with (no leading zeros, sign or padding sneak a second spelling of one seq past it).
#include <string>

#include "decade-module/core/object_name.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace p2pls::decade;
    p2pls::fuzz::FuzzInput in(data, size);
    const std::string_view prefix = in.bytes(kMaxNameBytes + 2);
    const std::string_view name = in.rest();

    const bool valid_name = is_valid_object_name(name);
    FUZZ_CHECK(!valid_name || (!name.empty() && name.size() <= kMaxNameBytes));
    if (const auto seq = object_seq(name, prefix)) {
        // The one canonical spelling: the name is exactly what object_name makes.
        FUZZ_CHECK(object_name(prefix, *seq) == name);
    }
    if (is_valid_prefix(prefix)) {
        const std::uint64_t seq = p2pls::fuzz::FuzzInput(data, size).integral<std::uint64_t>();
        const std::string made = object_name(prefix, seq);
        const auto back = object_seq(made, prefix);
        FUZZ_CHECK(back.has_value() && *back == seq);
        if (made.size() <= kMaxNameBytes) {
            FUZZ_CHECK(is_valid_object_name(made));
        }
    }
    return 0;
}
