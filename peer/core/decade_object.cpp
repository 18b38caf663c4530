#include "peer/core/decade_object.hpp"

#include <cstdint>

namespace p2pls::peer {

std::string encode_object(const std::vector<std::shared_ptr<const wire::Chunk>>& chunks) {
    std::string out;
    for (const auto& c : chunks) {
        const std::string body = c->SerializeAsString();
        const auto n = static_cast<std::uint32_t>(body.size());
        out.push_back(static_cast<char>((n >> 24) & 0xff));
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
        out += body;
    }
    return out;
}

Result<std::vector<wire::Chunk>> decode_object(std::string_view data, std::size_t max_chunks) {
    std::vector<wire::Chunk> out;
    while (!data.empty()) {
        if (data.size() < 4 || out.size() >= max_chunks) {
            return make_error_code(Errc::message_malformed);
        }
        const auto b = [&](std::size_t i) {
            return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]));
        };
        const std::size_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
        data.remove_prefix(4);
        if (n > kMaxObjectChunkBytes || n > data.size()) {
            return make_error_code(Errc::message_malformed);
        }
        wire::Chunk c;
        if (!c.ParseFromArray(data.data(), static_cast<int>(n))) {
            return make_error_code(Errc::message_malformed);
        }
        data.remove_prefix(n);
        out.push_back(std::move(c));
    }
    if (out.empty()) {
        return make_error_code(Errc::message_malformed);
    }
    return out;
}

}  // namespace p2pls::peer
