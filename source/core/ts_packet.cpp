#include "source/core/ts_packet.hpp"

#include <algorithm>

namespace p2pls::source {
namespace {

std::uint16_t be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// PTS/DTS are 33 bits spread over 5 bytes with marker bits in between.
std::uint64_t read_timestamp(const std::uint8_t* p) {
    return (static_cast<std::uint64_t>((p[0] >> 1) & 0x07) << 30) |
           (static_cast<std::uint64_t>(p[1]) << 22) |
           (static_cast<std::uint64_t>((p[2] >> 1) & 0x7f) << 15) |
           (static_cast<std::uint64_t>(p[3]) << 7) | (static_cast<std::uint64_t>(p[4]) >> 1);
}

// The section body of a single-packet PSI section with `table_id`, from table_id to the
// end of the section (CRC included), or an empty span.
std::span<const std::uint8_t> section_of(std::span<const std::uint8_t> payload,
                                         std::uint8_t table_id) {
    if (payload.empty()) {
        return {};
    }
    const std::size_t start = 1 + static_cast<std::size_t>(payload[0]);  // pointer_field
    if (start + 3 > payload.size()) {
        return {};
    }
    const std::uint8_t* s = payload.data() + start;
    if (s[0] != table_id) {
        return {};
    }
    const std::size_t section_length = be16(s + 1) & 0x0fff;
    // 5 bytes of extended header + 4 bytes of CRC are the least any PAT or PMT has.
    if (section_length < 9 || start + 3 + section_length > payload.size()) {
        return {};
    }
    return payload.subspan(start, 3 + section_length);
}

}  // namespace

std::optional<TsHeader> parse_ts_header(PacketView packet) {
    if (packet[0] != kTsSyncByte) {
        return std::nullopt;
    }
    TsHeader h;
    h.transport_error = (packet[1] & 0x80) != 0;
    h.payload_unit_start = (packet[1] & 0x40) != 0;
    h.pid = static_cast<std::uint16_t>(((packet[1] & 0x1f) << 8) | packet[2]);
    const std::uint8_t afc = (packet[3] >> 4) & 0x03;
    h.continuity_counter = packet[3] & 0x0f;
    std::size_t offset = 4;
    if (afc == 2 || afc == 3) {
        const std::size_t af_len = packet[4];
        if (5 + af_len > kTsPacketSize) {
            return std::nullopt;
        }
        if (af_len > 0) {
            h.discontinuity = (packet[5] & 0x80) != 0;
            h.random_access = (packet[5] & 0x40) != 0;
        }
        offset = 5 + af_len;
    }
    h.has_payload = (afc == 1 || afc == 3) && offset < kTsPacketSize;
    h.payload_offset = h.has_payload ? offset : kTsPacketSize;
    return h;
}

std::optional<PesHeader> parse_pes_header(std::span<const std::uint8_t> payload) {
    if (payload.size() < 9 || payload[0] != 0 || payload[1] != 0 || payload[2] != 1) {
        return std::nullopt;
    }
    PesHeader pes;
    pes.stream_id = payload[3];
    // Streams without the optional header (padding, private_stream_2, ...) carry no PTS;
    // video (0xe0-0xef) and audio (0xc0-0xdf) always have it.
    if ((payload[6] & 0xc0) != 0x80) {
        return std::nullopt;
    }
    const std::size_t header_data_length = payload[8];
    pes.header_size = 9 + header_data_length;
    if (pes.header_size > payload.size()) {
        return std::nullopt;
    }
    const std::uint8_t pts_dts_flags = (payload[7] >> 6) & 0x03;
    if ((pts_dts_flags & 0x02) != 0 && header_data_length >= 5) {
        pes.pts = read_timestamp(payload.data() + 9);
    }
    return pes;
}

std::optional<std::uint16_t> parse_pat_first_pmt_pid(std::span<const std::uint8_t> payload) {
    const auto section = section_of(payload, 0x00);
    if (section.empty()) {
        return std::nullopt;
    }
    // Program loop: after the 8-byte header, before the 4-byte CRC, 4 bytes per program.
    for (std::size_t i = 8; i + 4 <= section.size() - 4; i += 4) {
        const std::uint16_t program_number = be16(section.data() + i);
        const std::uint16_t pid = be16(section.data() + i + 2) & 0x1fff;
        if (program_number != 0) {  // program 0 points at the NIT
            return pid;
        }
    }
    return std::nullopt;
}

std::optional<std::vector<EsInfo>> parse_pmt(std::span<const std::uint8_t> payload) {
    const auto section = section_of(payload, 0x02);
    if (section.size() < 12 + 4) {
        return std::nullopt;
    }
    const std::size_t end = section.size() - 4;  // CRC
    const std::size_t program_info_length = be16(section.data() + 10) & 0x0fff;
    std::size_t i = 12 + program_info_length;
    std::vector<EsInfo> streams;
    while (i + 5 <= end) {
        EsInfo es;
        es.stream_type = section[i];
        es.pid = be16(section.data() + i + 1) & 0x1fff;
        const std::size_t es_info_length = be16(section.data() + i + 3) & 0x0fff;
        i += 5 + es_info_length;
        if (i > end) {
            return std::nullopt;
        }
        streams.push_back(es);
    }
    return streams;
}

void TsPacketReader::push(std::span<const std::uint8_t> bytes) {
    compact();
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void TsPacketReader::reset() {
    buffer_.clear();
    pos_ = 0;
    locked_ = false;
}

void TsPacketReader::compact() {
    if (pos_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos_));
        pos_ = 0;
    }
}

bool TsPacketReader::try_lock() {
    // Look for the sync byte at three consecutive packet positions; a lone 0x47 inside a
    // payload rarely repeats 188 and 376 bytes later.
    const std::size_t size = buffer_.size();
    while (pos_ < size) {
        const auto* found = std::find(buffer_.data() + pos_, buffer_.data() + size, kTsSyncByte);
        const auto at = static_cast<std::size_t>(found - buffer_.data());
        skipped_bytes_ += at - pos_;
        pos_ = at;
        if (pos_ >= size) {
            return false;
        }
        if (pos_ + 2 * kTsPacketSize >= size) {
            return false;  // need more bytes to confirm
        }
        if (buffer_[pos_ + kTsPacketSize] == kTsSyncByte &&
            buffer_[pos_ + 2 * kTsPacketSize] == kTsSyncByte) {
            locked_ = true;
            return true;
        }
        ++pos_;
        ++skipped_bytes_;
    }
    return false;
}

std::optional<TsPacket> TsPacketReader::next() {
    for (;;) {
        if (!locked_ && !try_lock()) {
            return std::nullopt;
        }
        if (buffer_.size() - pos_ < kTsPacketSize) {
            return std::nullopt;
        }
        if (buffer_[pos_] != kTsSyncByte) {
            locked_ = false;
            ++sync_losses_;
            continue;
        }
        TsPacket packet;
        std::copy_n(buffer_.data() + pos_, kTsPacketSize, packet.begin());
        pos_ += kTsPacketSize;
        return packet;
    }
}

}  // namespace p2pls::source
