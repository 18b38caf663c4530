#include "common/core/base64.hpp"

#include <array>
#include <cstdint>

namespace p2pls {
namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xff;

// Character -> value for one alphabet; kInvalid for anything else. A table rather than
// a constant-time decoder: nothing we decode is secret (tokens are bearer capabilities
// checked by their MAC), and token checks are on the DECADE server's hot path.
constexpr std::array<std::uint8_t, 256> make_values(std::string_view alphabet) {
    std::array<std::uint8_t, 256> t{};
    t.fill(kInvalid);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return t;
}

constexpr auto kStandardValues = make_values(kStandard);
constexpr auto kUrlValues = make_values(kUrl);

}  // namespace

void append_base64(std::string& out, std::string_view bytes, Base64 variant) {
    const std::string_view alphabet = variant == Base64::standard ? kStandard : kUrl;
    const bool pad = variant == Base64::standard;
    out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
    const auto at = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t left = bytes.size() - i;
    if (left == 0) {
        return;
    }
    const std::uint32_t v = (at(i) << 16) | (left == 2 ? at(i + 1) << 8 : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (left == 2) {
        out += alphabet[(v >> 6) & 63];
    }
    if (pad) {
        out.append(3 - left, '=');
    }
}

std::string base64_encode(std::string_view bytes, Base64 variant) {
    std::string out;
    append_base64(out, bytes, variant);
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64 variant) {
    const auto& values = variant == Base64::standard ? kStandardValues : kUrlValues;
    if (variant == Base64::standard) {
        if (text.size() % 4 != 0) {
            return std::nullopt;
        }
        // At most two '=', and only at the very end.
        std::size_t padding = 0;
        while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
            ++padding;
        }
        text.remove_suffix(padding);
    }
    // One character alone carries 6 bits: no whole byte.
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const std::uint8_t v = values[static_cast<unsigned char>(c)];
        if (v == kInvalid) {
            return std::nullopt;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
            acc &= (1u << bits) - 1;
        }
    }
    // Bits left over must be zero, or two texts would decode to the same bytes.
    if (acc != 0) {
        return std::nullopt;
    }
    return out;
}

}  // namespace p2pls
