// What a user's download link answers (the draft's §6.1: "the URLs and tokens of the
// chunks"): per slice its size, SHA-256 and the URLs that serve it, best first, each
// carrying its own server's download token. Two forms:
//  - JSON, for p2pls-fetch;
//  - a Metalink v4 document (RFC 5854), one <file> per slice named
//    "<name>.part-00000", ..., so that an unmodified aria2 downloads every slice from the
//    best server, fails over to the next <url> and checks each slice's hash; the parts
//    concatenated in order are the file (whose SHA-256 the JSON gives).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace p2pls::portal {

struct ManifestSlice {
    std::uint64_t index = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::string sha256;
    std::vector<std::string> urls;  // best first
};

struct Manifest {
    std::string name;
    std::uint64_t size = 0;
    std::string sha256;
    std::uint64_t slice_bytes = 0;
    std::int64_t expires_unix_s = 0;  // when the URLs' tokens expire
    std::vector<ManifestSlice> slices;
};

inline constexpr std::string_view kMetalinkType = "application/metalink4+xml";

std::string manifest_json(const Manifest& manifest);

// A manifest_json text read back, as p2pls-fetch reads what a download link answered:
// hostile until checked, so anything but a manifest the portal could have written is
// refused with the reason. The name is a plain file name (no path), the slices follow
// each other from offset 0 without a gap and add up to the size, each is at most
// slice_bytes (at most kMaxSliceBytes) with a SHA-256 and 1 to kMaxManifestUrls http(s)
// URLs, and there are at most kMaxManifestSlices of them.
inline constexpr std::size_t kMaxManifestSlices = 1'000'000;
inline constexpr std::size_t kMaxManifestUrls = 16;
std::variant<Manifest, std::string> parse_manifest_json(std::string_view text);
std::string manifest_metalink(const Manifest& manifest);
// "<name>.part-00042": at least five digits, more when the file has more slices.
std::string part_name(const Manifest& manifest, std::uint64_t index);

}  // namespace p2pls::portal
