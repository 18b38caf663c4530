#include "player/http/web_files.hpp"

#include <fstream>
#include <sstream>

#include "player/core/http_routes.hpp"

namespace p2pls::player::http {

namespace {

// The page is a few files of some kB and hls.js (~400 kB): anything far larger is not
// ours, and is not read into memory.
constexpr std::uintmax_t kMaxFileBytes = 8 * 1024 * 1024;

}  // namespace

WebFiles load_web_files(const std::filesystem::path& root) {
    WebFiles out;
    if (root.empty())
        return out;  // `missing` says so already
    out.missing.clear();
    std::string missing;
    for (const WebFileSpec& spec : web_files()) {
        const auto path = root / spec.file;
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        std::ifstream in(path, std::ios::binary);
        if (ec || size > kMaxFileBytes || !in) {
            missing += (missing.empty() ? "" : ", ") + path.string();
            continue;
        }
        std::ostringstream text;
        text << in.rdbuf();
        out.by_url.emplace(std::string(spec.url),
                           WebFile{std::string(spec.content_type),
                                   std::make_shared<const std::string>(std::move(text).str())});
    }
    if (!missing.empty()) {
        out.missing = "the web player is not installed (missing " + missing +
                      "): run scripts/setup.sh, which installs hls.js with npm ci, or pass "
                      "--web-root";
    }
    return out;
}

}  // namespace p2pls::player::http
