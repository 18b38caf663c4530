#include "peer/core/first_fetch.hpp"

#include <algorithm>
#include <limits>

namespace p2pls::peer {
namespace {

constexpr std::uint32_t kFirstFetchersUnlimited = 4;

// splitmix64's finaliser: spreads a seq-dependent input over all 64 bits.
std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

std::uint32_t first_fetchers_per_chunk(std::uint64_t upload_limit_bytes_per_s,
                                       std::uint64_t chunk_bytes, Duration chunk_duration,
                                       std::uint32_t configured) {
    if (configured > 0) {
        return configured;
    }

    if (upload_limit_bytes_per_s == 0) {
        return kFirstFetchersUnlimited;
    }
    // Copies of one chunk the budget serves while the next is produced.
    const double copies = static_cast<double>(upload_limit_bytes_per_s) *
                          to_seconds(chunk_duration) /
                          static_cast<double>(std::max<std::uint64_t>(chunk_bytes, 1));
    return static_cast<std::uint32_t>(std::clamp(copies / 2, 1.0, 1e6));
}

std::uint32_t first_fetch_ppm(std::uint32_t first_fetchers, std::size_t neighbours) {
    if (neighbours == 0) {
        return 0;
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(
        kFirstFetchPpmMax, std::uint64_t{first_fetchers} * kFirstFetchPpmMax / neighbours));
}

std::uint64_t peer_hash(std::string_view peer_id) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : peer_id) {
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return h;
}

Duration first_fetch_delay(std::uint64_t peer_hash, ChunkSeq seq, std::uint32_t ppm,
                           Duration step) noexcept {
    if (ppm == 0) {
        return Duration::max();
    }
    // A uniform draw in [0, 1e6) for this (peer, chunk); its tier counts whole shares.
    const std::uint64_t draw = mix(peer_hash ^ mix(seq.value())) % kFirstFetchPpmMax;
    const std::uint64_t tier = draw / std::min(ppm, kFirstFetchPpmMax);
    return step * static_cast<std::int64_t>(tier);
}

}  // namespace p2pls::peer
