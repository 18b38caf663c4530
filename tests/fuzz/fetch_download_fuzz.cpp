// What p2pls-fetch does with a download link's answer and its servers' answers, on any
// bytes: parse_manifest_json either refuses with a reason or gives a manifest whose
// slices tile the file, and the Download core, driven by the rest of the input as a
// sequence of server answers, never hands out more than `parallel` transfers, counts
// only bytes that match, and always ends complete or lost.
#include <string>
#include <variant>

#include "fetch/core/download.hpp"
#include "portal/core/slicer.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace fetch = p2pls::fetch;
    namespace portal = p2pls::portal;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Text up to the first NUL is the manifest; the bytes after it drive the answers.
    const auto nul = input.find('\0');
    const std::string_view text = input.substr(0, nul);
    const std::string_view moves = nul == std::string_view::npos ? "" : input.substr(nul + 1);
    auto parsed = portal::parse_manifest_json(text);
    if (const auto* why = std::get_if<std::string>(&parsed)) {
        FUZZ_CHECK(!why->empty());
        return 0;
    }
    const auto& m = std::get<portal::Manifest>(parsed);
    std::uint64_t offset = 0;
    for (const auto& s : m.slices) {
        FUZZ_CHECK(s.offset == offset && s.size > 0 && s.size <= m.slice_bytes && !s.urls.empty());
        offset += s.size;
    }
    FUZZ_CHECK(offset == m.size);
    if (m.slices.size() > 64) {
        return 0;  // the answers below need bytes per slice; large manifests only parse
    }
    fetch::DownloadOptions options;
    options.parallel = 1 + (moves.empty() ? 0 : static_cast<unsigned char>(moves[0]) % 4);
    options.rounds = 2;
    fetch::Download download(m, options);
    std::vector<fetch::Attempt> flying;
    std::size_t i = 1;
    // Each try uses one URL for one slice, and a URL is tried at most `rounds` times, so
    // this many steps always reach the end.
    std::size_t steps = 0;
    for (const auto& s : m.slices) {
        steps += 2 * s.urls.size() * options.rounds + 2;
    }
    while (!download.complete() && !download.lost() && steps-- > 0) {
        while (auto a = download.next()) {
            flying.push_back(*a);
        }
        FUZZ_CHECK(flying.size() == download.in_flight() && flying.size() <= options.parallel);
        if (flying.empty()) {
            break;
        }
        const unsigned move = i < moves.size() ? static_cast<unsigned char>(moves[i++]) : 0;
        const fetch::Attempt a = flying[move % flying.size()];
        flying.erase(flying.begin() + static_cast<std::ptrdiff_t>(move % flying.size()));
        const std::uint64_t before = download.bytes_done();
        switch ((move >> 4) % 5) {
            case 0:
                download.fail(a, fetch::Failure::transport);
                break;
            case 1:
                download.fail(a, fetch::Failure::busy);
                break;
            case 2:
                download.fail(a, fetch::Failure::refused);
                break;
            case 3:
                // Bytes that are not the slice never count.
                FUZZ_CHECK(!download.deliver(a, "not the slice"));
                FUZZ_CHECK(download.bytes_done() == before);
                break;
            default:
                // The fuzzer cannot make bytes with the right hash: a mismatch, again.
                FUZZ_CHECK(!download.deliver(a, std::string(m.slices[a.slice].size, 'x')) ||
                           portal::sha256_hex(std::string(m.slices[a.slice].size, 'x')) ==
                               m.slices[a.slice].sha256);
        }
    }
    FUZZ_CHECK(download.complete() || download.lost());
    return 0;
}
