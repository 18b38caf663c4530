// The tracker's hand-written JSON fast paths against protobuf's JSON mapping, which is the
// authority on the format (tracker/core/fast_json.hpp):
//   - whatever parse_announce_fast accepts, protobuf accepts too, with the same values;
//     whatever protobuf rejects, the fast path rejects;
//   - announce_reply_json writes exactly the bytes to_json writes, for any reply.
#include "common/core/proto_json.hpp"
#include "p2pls/tracker.pb.h"
#include "tests/fuzz/fuzz_input.hpp"
#include "tracker/core/fast_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::quiet_protobuf();
    const std::string_view json(reinterpret_cast<const char*>(data), size);

    p2pls::tracker_api::AnnounceRequest fast;
    p2pls::tracker_api::AnnounceRequest slow;
    const bool fast_ok = p2pls::tracker::parse_announce_fast(json, fast);
    const bool slow_ok = !p2pls::parse_json(json, slow).has_value();
    if (fast_ok) {
        FUZZ_CHECK(slow_ok);
        FUZZ_CHECK(fast.SerializeAsString() == slow.SerializeAsString());
    }

    // The same text read as a reply: if protobuf takes it, the fast writer must agree.
    p2pls::tracker_api::AnnounceResponse reply;
    if (!p2pls::parse_json(json, reply).has_value()) {
        FUZZ_CHECK(p2pls::tracker::announce_reply_json(reply) == p2pls::to_json(reply));
    }
    return 0;
}
