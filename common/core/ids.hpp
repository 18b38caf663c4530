// Strong types for the ids that travel through every role, so that a chunk seq cannot be
// passed where a neighbour handle is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace p2pls {

// A value of Rep that only compares with values of the same Tag.
template <class Tag, class Rep>
class StrongId {
  public:
    using rep_type = Rep;

    constexpr StrongId() = default;
    constexpr explicit StrongId(Rep value) : value_(std::move(value)) {}

    [[nodiscard]] constexpr const Rep& value() const noexcept { return value_; }

    friend constexpr auto operator<=>(const StrongId&, const StrongId&) = default;
    friend std::ostream& operator<<(std::ostream& os, const StrongId& id) {
        return os << id.value_;
    }

  private:
    Rep value_{};
};

// Id a peer chooses for itself and sends in Hello and to the tracker.
using PeerId = StrongId<struct PeerIdTag, std::string>;
// Local handle for one neighbour connection, assigned by the driver (never on the wire).
using NeighborId = StrongId<struct NeighborIdTag, std::uint32_t>;
// DECADE locker id.
using LockerId = StrongId<struct LockerIdTag, std::string>;

// Sequence number of a chunk: +1 per chunk, from the source's first chunk.
// Arithmetic is limited to what window code needs: offsets and distances.
class ChunkSeq {
  public:
    constexpr ChunkSeq() = default;
    constexpr explicit ChunkSeq(std::uint64_t value) : value_(value) {}

    [[nodiscard]] constexpr std::uint64_t value() const noexcept { return value_; }

    friend constexpr auto operator<=>(ChunkSeq, ChunkSeq) = default;
    friend constexpr ChunkSeq operator+(ChunkSeq s, std::uint64_t n) {
        return ChunkSeq{s.value_ + n};
    }
    friend constexpr ChunkSeq operator-(ChunkSeq s, std::uint64_t n) {
        return ChunkSeq{s.value_ >= n ? s.value_ - n : 0};
    }
    // Signed distance a - b, in chunks.
    friend constexpr std::int64_t operator-(ChunkSeq a, ChunkSeq b) {
        return static_cast<std::int64_t>(a.value_ - b.value_);
    }
    constexpr ChunkSeq& operator++() {
        ++value_;
        return *this;
    }
    friend std::ostream& operator<<(std::ostream& os, ChunkSeq s) { return os << s.value_; }

  private:
    std::uint64_t value_ = 0;
};

}  // namespace p2pls

template <class Tag, class Rep>
struct std::hash<p2pls::StrongId<Tag, Rep>> {
    std::size_t operator()(const p2pls::StrongId<Tag, Rep>& id) const noexcept {
        return std::hash<Rep>{}(id.value());
    }
};

template <>
struct std::hash<p2pls::ChunkSeq> {
    std::size_t operator()(p2pls::ChunkSeq s) const noexcept {
        return std::hash<std::uint64_t>{}(s.value());
    }
};
