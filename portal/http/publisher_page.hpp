// The publisher's web page (web/portal/: the draft's §6.1 "content publisher" component),
// compiled into p2pls-portal by cmake/EmbedWebPage.cmake, so that the portal serves the
// page of its own version with nothing to install beside it. The page speaks only the
// portal's JSON API, from the same origin.
#pragma once

#include <span>
#include <string_view>

namespace p2pls::portal {

struct WebPageFile {
    std::string_view url;  // "/", "/portal.js", ...
    std::string_view content_type;
    std::string_view body;
};

// Generated at build time from web/portal/.
std::span<const WebPageFile> publisher_page_files();

}  // namespace p2pls::portal
