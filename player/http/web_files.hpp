// The web player page's files (player/core/http_routes.hpp's web_files()), read once
// from the web root when the player starts and then served from memory: a request can
// only name one of them, and a page edited on disk is picked up by restarting.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace p2pls::player::http {

inline constexpr std::string_view kNoWebRoot = "the web player is off: no --web-root was given";

struct WebFile {
    std::string content_type;
    std::shared_ptr<const std::string> body;
};

struct WebFiles {
    std::map<std::string, WebFile, std::less<>> by_url;  // "/", "/player.js", ...
    // Empty when every file loaded; otherwise what is missing and how to get it (the 404
    // for a missing file says it, and the player logs it at start).
    std::string missing = std::string(kNoWebRoot);
};

// Reads every page file under `root`; files that cannot be read are listed in `missing`.
[[nodiscard]] WebFiles load_web_files(const std::filesystem::path& root);

}  // namespace p2pls::player::http
