#include "source/core/signed_chunk.hpp"

namespace p2pls::source {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace

wire::Chunk make_signed_chunk(ProducedChunk&& chunk, const SecretKey& key, std::string_view channel,
                              const SourceEpoch& epoch) {
    wire::Chunk out;
    out.set_seq(chunk.seq.value());
    out.set_timestamp_us(chunk.timestamp_us);
    out.set_duration_us(chunk.duration_us);
    out.set_payload(std::move(chunk.payload));
    sign_chunk(key, channel, out, epoch);
    return out;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out;
}

Result<KeySeed> parse_key_file(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    KeySeed seed{};
    if (text.size() != seed.size() * 2) {
        return make_error_code(Errc::key_invalid);
    }
    for (std::size_t i = 0; i < seed.size(); ++i) {
        const int hi = hex_value(text[2 * i]);
        const int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return make_error_code(Errc::key_invalid);
        }
        seed[i] = static_cast<unsigned char>((hi << 4) | lo);
    }
    return seed;
}

std::string format_key_file(const KeySeed& seed) {
    return to_hex(seed) + "\n";
}

}  // namespace p2pls::source
