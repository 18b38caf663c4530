// The directory store's record parser, on any file a crash, a full disk or a hand edit
// could leave: it accepts exactly what the formatter writes. Whatever parses must format
// back to the same text, and the ids it returns are the ones its path gave.
#include "decade-server/core/store_records.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace p2pls::decade_server;
    p2pls::fuzz::FuzzInput in(data, size);
    const std::string_view locker = in.bytes(70);
    const std::string_view name = in.bytes(140);
    const std::string_view text = in.rest();

    if (const auto ref = parse_ref_record(locker, name, text)) {
        FUZZ_CHECK(ref->locker == locker && ref->name == name);
        FUZZ_CHECK(ref->size <= kMaxRecordedObjectBytes);
        FUZZ_CHECK(format_ref_record(*ref) == text);
    }
    if (const auto record = parse_locker_record(locker, text)) {
        FUZZ_CHECK(record->id == locker);
        FUZZ_CHECK(record->bandwidth_share >= 1 && record->bandwidth_share <= kMaxBandwidthShare);
        FUZZ_CHECK(format_locker_record(*record) == text);
    }
    return 0;
}
