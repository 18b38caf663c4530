// decode_object, the parser of every object a peer fetches from storage: bytes anyone can
// have put there. Whatever it accepts must re-encode and decode to the same chunks, and it
// never returns more chunks than asked for.
#include "peer/core/decade_object.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2pls::fuzz::quiet_protobuf();
    p2pls::fuzz::FuzzInput in(data, size);
    const auto max_chunks = static_cast<std::size_t>(in.in_range(1, 8));
    const std::string_view object = in.rest();
    auto decoded = p2pls::peer::decode_object(object, max_chunks);
    if (!decoded) {
        return 0;
    }
    FUZZ_CHECK(!decoded->empty() && decoded->size() <= max_chunks);
    std::vector<std::shared_ptr<const p2pls::wire::Chunk>> chunks;
    for (const auto& c : *decoded) {
        chunks.push_back(std::make_shared<const p2pls::wire::Chunk>(c));
    }
    const auto again = p2pls::peer::decode_object(p2pls::peer::encode_object(chunks), max_chunks);
    FUZZ_CHECK(again.has_value() && again->size() == decoded->size());
    for (std::size_t i = 0; i < decoded->size(); ++i) {
        FUZZ_CHECK((*again)[i].SerializeAsString() == (*decoded)[i].SerializeAsString());
    }
    return 0;
}
