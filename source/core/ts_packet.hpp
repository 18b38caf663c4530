// MPEG-TS parsing for the source's chunker: 188-byte packets, their headers, the PES
// header of a video access unit, PAT and PMT. Pure functions over bytes; nothing here
// allocates per packet or trusts a length field without checking it against the packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace p2pls::source {

inline constexpr std::size_t kTsPacketSize = 188;
inline constexpr std::uint8_t kTsSyncByte = 0x47;
inline constexpr std::uint16_t kPatPid = 0x0000;
inline constexpr std::uint16_t kNullPid = 0x1fff;
// ISO/IEC 13818-1 stream_type of H.264 video.
inline constexpr std::uint8_t kStreamTypeH264 = 0x1b;

using TsPacket = std::array<std::uint8_t, kTsPacketSize>;
using PacketView = std::span<const std::uint8_t, kTsPacketSize>;

// The fields of a packet header (and of its adaptation field) that the chunker uses.
struct TsHeader {
    std::uint16_t pid = 0;
    bool transport_error = false;
    bool payload_unit_start = false;
    std::uint8_t continuity_counter = 0;
    bool has_payload = false;
    bool random_access = false;                  // adaptation field random_access_indicator
    bool discontinuity = false;                  // adaptation field discontinuity_indicator
    std::size_t payload_offset = kTsPacketSize;  // first payload byte; 188 = no payload
};

// Parses a packet that starts with the sync byte. nullopt when the header is inconsistent
// (no sync byte, adaptation field longer than the packet).
std::optional<TsHeader> parse_ts_header(PacketView packet);

// The PES header at the start of a payload unit.
struct PesHeader {
    std::uint8_t stream_id = 0;
    std::optional<std::uint64_t> pts;  // 33-bit, 90 kHz
    std::size_t header_size = 0;       // bytes before the elementary stream data
};

// nullopt when `payload` does not start with a complete PES header (start code, stream id,
// length, flags, and all header bytes present in this packet).
std::optional<PesHeader> parse_pes_header(std::span<const std::uint8_t> payload);

// One elementary stream listed in a PMT.
struct EsInfo {
    std::uint8_t stream_type = 0;
    std::uint16_t pid = 0;
};

// PSI sections that fit in the payload of one packet (as muxers write PAT and a PMT of a
// few streams). `payload` is the packet payload of a payload_unit_start packet, starting
// at the pointer_field. nullopt when the section is not of that table, truncated or
// overlong.
std::optional<std::uint16_t> parse_pat_first_pmt_pid(std::span<const std::uint8_t> payload);
std::optional<std::vector<EsInfo>> parse_pmt(std::span<const std::uint8_t> payload);

// Finds H.264 NAL unit types in an elementary stream delivered in pieces: start codes
// split across packets are found too.
class NalScanner {
  public:
    // Calls on_nal(type) for each NAL unit header found in `bytes`; stops early and returns
    // true as soon as on_nal returns true.
    template <class F>
    bool scan(std::span<const std::uint8_t> bytes, F&& on_nal) {
        for (const std::uint8_t b : bytes) {
            if (expect_header_) {
                expect_header_ = false;
                zeros_ = 0;
                if (on_nal(static_cast<std::uint8_t>(b & 0x1f))) {
                    return true;
                }
                continue;
            }
            if (b == 0) {
                if (zeros_ < 3) {
                    ++zeros_;
                }
            } else if (b == 1 && zeros_ >= 2) {
                expect_header_ = true;
                zeros_ = 0;
            } else {
                zeros_ = 0;
            }
        }
        return false;
    }

    void reset() noexcept {
        zeros_ = 0;
        expect_header_ = false;
    }

  private:
    int zeros_ = 0;
    bool expect_header_ = false;
};

// Finds packet boundaries in a byte stream split anywhere. It locks on when it sees the
// sync byte at three consecutive packet positions, and after losing sync (a packet that
// does not start with 0x47) it skips bytes until it locks on again. Once next() has
// returned nullopt it holds fewer than three packets' worth of bytes.
class TsPacketReader {
  public:
    // Appends bytes; complete packets are then taken with next().
    void push(std::span<const std::uint8_t> bytes);
    // The next complete packet, or nullopt when more bytes are needed.
    std::optional<TsPacket> next();
    // Forgets buffered bytes and sync (after a stream restart).
    void reset();

    [[nodiscard]] std::uint64_t skipped_bytes() const noexcept { return skipped_bytes_; }
    [[nodiscard]] std::uint64_t sync_losses() const noexcept { return sync_losses_; }
    [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - pos_; }

  private:
    void compact();
    bool try_lock();

    std::vector<std::uint8_t> buffer_;
    std::size_t pos_ = 0;
    bool locked_ = false;
    std::uint64_t skipped_bytes_ = 0;
    std::uint64_t sync_losses_ = 0;
};

}  // namespace p2pls::source
