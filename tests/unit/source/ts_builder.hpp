// Builds synthetic MPEG-TS streams for the chunker tests: PAT, PMT, H.264 video access
// units (AUD, SPS, PPS, IDR or non-IDR slice) and audio packets, with PTS, continuity
// counters and optional random_access_indicator. Enough structure for the chunker; not
// meant to decode.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "source/core/ts_packet.hpp"

namespace p2pls::source::testing {

inline constexpr std::uint16_t kPmtPid = 0x1000;
inline constexpr std::uint16_t kVideoPid = 0x100;
inline constexpr std::uint16_t kAudioPid = 0x101;

struct StreamSpec {
    int frames = 125;
    int gop = 25;                     // frames between key frames
    std::int64_t frame_ticks = 3600;  // 90 kHz (25 fps)
    std::uint64_t first_pts = 900000;
    bool rai = true;                      // set random_access_indicator on key frames
    bool tables_every_key = true;         // PAT+PMT before every key frame (else only at start)
    bool audio = true;                    // one audio packet per frame
    int frame_packets = 3;                // TS packets per video frame
    bool slice_in_second_packet = false;  // long SEI first: the slice NAL in packet 2
    int leading_non_key = 0;              // non-key frames before the first key frame
};

class TsBuilder {
  public:
    std::string pat() {
        return packet(kPatPid, true, false,
                      psi(0x00, {0x00, 0x01, 0xe0 | (kPmtPid >> 8), kPmtPid & 0xff}));
    }

    std::string pmt() {
        std::vector<std::uint8_t> body = {
            0xe0 | (kVideoPid >> 8), kVideoPid & 0xff, 0xf0, 0x00, 0x1b,
            0xe0 | (kVideoPid >> 8), kVideoPid & 0xff, 0xf0, 0x00, 0x0f,
            0xe0 | (kAudioPid >> 8), kAudioPid & 0xff, 0xf0, 0x00};
        return packet(kPmtPid, true, false, psi(0x02, body));
    }

    // One video access unit of `packets` TS packets.
    std::string video_frame(std::uint64_t pts, bool key, bool rai, int packets,
                            bool slice_in_second_packet) {
        std::vector<std::uint8_t> es = {0, 0, 0, 1, 0x09, 0xf0};
        if (key) {
            const std::vector<std::uint8_t> sps_pps = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e,
                                                       0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80};
            es.insert(es.end(), sps_pps.begin(), sps_pps.end());
        }
        if (slice_in_second_packet) {
            es.insert(es.end(), {0, 0, 0, 1, 0x06});  // SEI long enough to fill packet 1
            es.insert(es.end(), 250, 0x55);
        }
        es.insert(es.end(), {0, 0, 0, 1, static_cast<std::uint8_t>(key ? 0x65 : 0x41)});
        std::vector<std::uint8_t> pes = {0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5};
        pes.push_back(static_cast<std::uint8_t>(0x21 | ((pts >> 29) & 0x0e)));
        pes.push_back(static_cast<std::uint8_t>(pts >> 22));
        pes.push_back(static_cast<std::uint8_t>(0x01 | ((pts >> 14) & 0xfe)));
        pes.push_back(static_cast<std::uint8_t>(pts >> 7));
        pes.push_back(static_cast<std::uint8_t>(0x01 | ((pts << 1) & 0xfe)));
        pes.insert(pes.end(), es.begin(), es.end());
        const std::size_t total = static_cast<std::size_t>(packets) * 184;
        if (pes.size() < total) {
            pes.resize(total, 0xaa);
        }
        std::string out;
        std::size_t offset = 0;
        for (int i = 0; offset < pes.size(); ++i) {
            const std::size_t n =
                std::min<std::size_t>(i == 0 && rai ? 182 : 184, pes.size() - offset);
            std::vector<std::uint8_t> chunk(pes.begin() + static_cast<std::ptrdiff_t>(offset),
                                            pes.begin() + static_cast<std::ptrdiff_t>(offset + n));
            out += packet(kVideoPid, i == 0, i == 0 && rai, chunk);
            offset += n;
        }
        return out;
    }

    std::string audio() {
        return packet(kAudioPid, true, false, std::vector<std::uint8_t>(184, 0x33));
    }

    std::string stream(const StreamSpec& spec) {
        std::string out = pat() + pmt();
        std::uint64_t pts = spec.first_pts;
        const auto mask = (std::uint64_t{1} << 33) - 1;
        for (int i = 0; i < spec.leading_non_key; ++i) {
            out += video_frame(pts & mask, false, false, spec.frame_packets, false);
            pts += static_cast<std::uint64_t>(spec.frame_ticks);
        }
        for (int f = 0; f < spec.frames; ++f) {
            const bool key = f % spec.gop == 0;
            if (key && spec.tables_every_key && f > 0) {
                out += pat() + pmt();
            }
            out += video_frame(pts & mask, key, key && spec.rai, spec.frame_packets,
                               spec.slice_in_second_packet);
            if (spec.audio) {
                out += audio();
            }
            pts += static_cast<std::uint64_t>(spec.frame_ticks);
        }
        return out;
    }

    // A packet with payload bytes (stuffed with an adaptation field when short).
    std::string packet(std::uint16_t pid, bool pusi, bool rai,
                       const std::vector<std::uint8_t>& payload) {
        std::string p(kTsPacketSize, '\xff');
        p[0] = static_cast<char>(kTsSyncByte);
        p[1] = static_cast<char>((pusi ? 0x40 : 0) | (pid >> 8));
        p[2] = static_cast<char>(pid & 0xff);
        const int cc = cc_[pid]++ & 0x0f;
        const std::size_t room = 184;
        if (payload.size() >= room && !rai) {
            p[3] = static_cast<char>(0x10 | cc);
            std::copy_n(payload.begin(), room, p.begin() + 4);
            return p;
        }
        // Adaptation field: length byte + flags + stuffing, then the payload.
        const std::size_t n = std::min(payload.size(), room - 2);
        const std::size_t af_len = room - 1 - n;  // bytes after the length byte
        p[3] = static_cast<char>(0x30 | cc);
        p[4] = static_cast<char>(af_len);
        if (af_len > 0) {
            p[5] = static_cast<char>(rai ? 0x40 : 0x00);
        }
        std::copy_n(payload.begin(), n, p.begin() + static_cast<std::ptrdiff_t>(5 + af_len));
        return p;
    }

  private:
    static std::vector<std::uint8_t> psi(std::uint8_t table_id,
                                         const std::vector<std::uint8_t>& body) {
        // pointer_field, table_id, section_length, id, version, section numbers, body, CRC.
        const std::size_t section_length = 5 + body.size() + 4;
        std::vector<std::uint8_t> out = {0x00,
                                         table_id,
                                         static_cast<std::uint8_t>(0xb0 | (section_length >> 8)),
                                         static_cast<std::uint8_t>(section_length & 0xff),
                                         0x00,
                                         0x01,
                                         0xc1,
                                         0x00,
                                         0x00};
        out.insert(out.end(), body.begin(), body.end());
        out.insert(out.end(), {0xde, 0xad, 0xbe, 0xef});
        return out;
    }

    std::map<std::uint16_t, int> cc_;
};

// Packets of a payload, as (pid, pusi, rai) triples, for assertions.
struct PacketInfo {
    std::uint16_t pid;
    bool pusi;
    bool rai;
};

inline std::vector<PacketInfo> packets_of(const std::string& payload) {
    std::vector<PacketInfo> out;
    for (std::size_t i = 0; i + kTsPacketSize <= payload.size(); i += kTsPacketSize) {
        PacketView view(reinterpret_cast<const std::uint8_t*>(payload.data() + i), kTsPacketSize);
        const auto h = parse_ts_header(view);
        out.push_back(h ? PacketInfo{h->pid, h->payload_unit_start, h->random_access}
                        : PacketInfo{0xffff, false, false});
    }
    return out;
}

}  // namespace p2pls::source::testing
