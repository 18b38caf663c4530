// Lays out captured traffic (common/posix/traffic_capture.hpp) as seeds of the fuzz
// targets that parse it, in each target's input format (FuzzInputWriter mirrors FuzzInput):
//   peer-frame/*    control frames in arrival order, six to a stream -> peer_frames;
//                   chunk payloads (MPEG-TS as the source cut it)     -> ts
//   http-request/*  tracker requests  -> tracker_api (announce bodies also -> tracker_json);
//                   DECADE requests   -> decade_api (as a raw request)
//
//   fuzz_seeds_from_capture CAPTURE_DIR OUT_DIR   writes OUT_DIR/<target>/capture-<hash>
//
// scripts/capture_corpus.sh runs it on what the integration tests captured, then merges
// what adds coverage into tests/fuzz/corpus/.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/frame_codec.hpp"
#include "common/core/peer_codec.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

namespace fs = std::filesystem;
using p2pls::fuzz::FuzzInputWriter;

// The fuzz targets' max_len (scripts/fuzz.sh): longer seeds would be cut.
constexpr std::size_t kMaxSeed = 4096;
constexpr std::size_t kMaxTsSeed = 32768;
constexpr std::size_t kFramesPerStream = 6;

fs::path g_out;
std::map<std::string, int> g_written;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// FNV-1a: a stable name per content, so the same seed is written once.
std::string hex_hash(std::string_view bytes) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : bytes) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

void write_seed(const std::string& target, const std::string& bytes, std::size_t max) {
    if (bytes.size() > max) {
        return;
    }
    const fs::path dir = g_out / target;
    fs::create_directories(dir);
    std::ofstream(dir / ("capture-" + hex_hash(bytes)), std::ios::binary) << bytes;
    ++g_written[target];
}

// Captures of one kind grouped by process ("<program>-<pid>") in arrival order.
std::map<std::string, std::vector<std::string>> by_process(const fs::path& dir) {
    std::map<std::string, std::vector<std::pair<long, std::string>>> numbered;
    if (!fs::is_directory(dir)) {
        return {};
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        const auto dash = name.rfind('-');
        if (dash == std::string::npos) {
            continue;
        }
        numbered[name.substr(0, dash)].emplace_back(std::stol(name.substr(dash + 1)),
                                                    read_file(entry.path()));
    }
    std::map<std::string, std::vector<std::string>> out;
    for (auto& [process, items] : numbered) {
        std::sort(items.begin(), items.end());
        for (auto& item : items) {
            out[process].push_back(std::move(item.second));
        }
    }
    return out;
}

// --- peer wire ------------------------------------------------------------------------

void peer_frame_seeds(const fs::path& capture) {
    for (const auto& [process, frames] : by_process(capture / "peer-frame")) {
        std::string stream;
        std::size_t in_stream = 0;
        const auto flush = [&] {
            if (in_stream == 0) {
                return;
            }
            // As peer_frames_fuzz.cpp reads it: the frame cap, a split seed, the peer wire's
            // two caps, then the bytes.
            FuzzInputWriter w;
            w.in_range(64 * 1024, 1).integral<std::uint32_t>(0x9e3779b9U).boolean(true);
            w.in_range(p2pls::kMaxControlFrameBytes, 1).rest(stream);
            write_seed("peer_frames", w.str(), kMaxSeed);
            stream.clear();
            in_stream = 0;
        };
        for (const std::string& body : frames) {
            const auto message = p2pls::parse_peer_message(body);
            if (message && message->has_chunk()) {
                // As ts_fuzz.cpp reads it: chunk length, size cap, first seq, PCR seed, TS.
                constexpr std::size_t kPacket = 188;
                const std::string& ts = message->chunk().payload();
                FuzzInputWriter w;
                w.in_range(1000, 1).in_range(32768, kPacket).integral<std::uint32_t>(0);
                w.integral<std::uint32_t>(12345).rest(
                    ts.substr(0, std::min<std::size_t>(ts.size(), 160 * kPacket)));
                write_seed("ts", w.str(), kMaxTsSeed);
                continue;
            }
            if (stream.size() + body.size() + p2pls::kFrameHeaderBytes > kMaxSeed - 64) {
                flush();
            }
            p2pls::append_frame(stream, body);
            if (++in_stream == kFramesPerStream) {
                flush();
            }
        }
        flush();
    }
}

// --- HTTP -----------------------------------------------------------------------------

struct RawRequest {
    std::string method, target, body;
    std::map<std::string, std::string, std::less<>> headers;  // lower-case names
};

std::optional<RawRequest> parse_raw(std::string_view raw) {
    const auto head_end = raw.find("\r\n\r\n");
    const auto line_end = raw.find("\r\n");
    if (head_end == std::string_view::npos || line_end == std::string_view::npos) {
        return std::nullopt;
    }
    RawRequest r;
    const std::string_view line = raw.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) {
        return std::nullopt;
    }
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view headers = raw.substr(line_end + 2, head_end - line_end - 2);
    while (!headers.empty()) {
        const auto end = std::min(headers.find("\r\n"), headers.size());
        const std::string_view h = headers.substr(0, end);
        if (const auto colon = h.find(':'); colon != std::string_view::npos) {
            std::string name(h.substr(0, colon));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            std::string_view value = h.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') {
                value.remove_prefix(1);
            }
            r.headers[name] = value;
        }
        headers.remove_prefix(std::min(end + 2, headers.size()));
    }
    r.body = raw.substr(head_end + 4);
    return r;
}

std::size_t index_of(std::string_view method, std::initializer_list<std::string_view> methods) {
    std::size_t i = 0;
    for (const auto m : methods) {
        if (m == method) {
            return i;
        }
        ++i;
    }
    return 0;
}

std::string header(const RawRequest& r, std::string_view name) {
    const auto it = r.headers.find(name);
    return it == r.headers.end() ? "" : it->second;
}

void http_seeds(const fs::path& capture) {
    for (const auto& [process, requests] : by_process(capture / "http-request")) {
        for (const std::string& raw : requests) {
            const auto r = parse_raw(raw);
            if (!r) {
                continue;
            }
            if (r->target.starts_with("/v1/channels") ||
                r->target.starts_with("/v1/decade-servers")) {
                // As tracker_api_fuzz.cpp reads it.
                FuzzInputWriter w;
                w.in_range(0, 0)
                    .in_range(index_of(r->method, {"GET", "POST", "PUT", "DELETE", "HEAD"}), 0)
                    .bytes(r->target)
                    .bytes("127.0.0.1")
                    .bytes(header(*r, "x-p2pls-timestamp"))
                    .bytes(header(*r, "x-p2pls-proof"))
                    .rest(r->body);
                write_seed("tracker_api", w.str(), kMaxSeed);
                if (r->target.ends_with("/announce") && !r->body.empty()) {
                    write_seed("tracker_json", r->body, kMaxSeed);
                }
            } else if (r->target.starts_with("/v1/lockers") || r->target.starts_with("/v1/batch")) {
                // As decade_api_fuzz.cpp's raw request reads it (step kind 4).
                FuzzInputWriter w;
                w.integral<std::uint8_t>(4)
                    .in_range(index_of(r->method, {"GET", "PUT", "POST", "DELETE", "PATCH"}), 0)
                    .bytes(r->target)
                    .bytes(header(*r, "authorization"))
                    .boolean(header(*r, "content-type") == "application/x-protobuf")
                    .bytes(r->body);
                write_seed("decade_api", w.str(), kMaxSeed);
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CAPTURE_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    const fs::path capture = argv[1];
    g_out = argv[2];
    peer_frame_seeds(capture);
    http_seeds(capture);
    for (const auto& [target, n] : g_written) {
        std::printf("%-12s %d seeds\n", target.c_str(), n);
    }
    return g_written.empty() ? 1 : 0;
}
