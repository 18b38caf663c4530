#include "player/core/http_routes.hpp"

#include "common/core/http_path.hpp"
#include "player/core/hls_window.hpp"

namespace p2pls::player {

const std::array<WebFileSpec, 4>& web_files() {
    static const std::array<WebFileSpec, 4> files{{
        {"/", "player/index.html", "text/html; charset=utf-8"},
        {"/player.js", "player/player.js", "text/javascript; charset=utf-8"},
        {"/player.css", "player/player.css", "text/css; charset=utf-8"},
        // hls.js as npm installs it (web/package-lock.json pins the version).
        {"/hls.min.js", "node_modules/hls.js/dist/hls.min.js", "text/javascript; charset=utf-8"},
    }};
    return files;
}

std::string_view routes_help() {
    return "try GET / (the web player), /live.m3u8 (HLS), /seg/<seq>.ts, /stream.ts (MPEG-TS), "
           "/stats or /metrics";
}

Route route(std::string_view method, std::string_view target) {
    Route r;
    r.head = method == "HEAD";
    if (method != "GET" && !r.head) {
        r.kind = RouteKind::bad_method;
        return r;
    }
    std::string_view path = target.substr(0, target.find('?'));
    for (const WebFileSpec& f : web_files()) {
        if (path == f.url || (f.url == "/" && path == "/index.html")) {
            r.kind = RouteKind::web_file;
            r.file = std::string(f.url);
            return r;
        }
    }
    const auto segments = p2pls::http::path_segments(path);
    if (segments.size() == 1) {
        if (segments[0] == "stream.ts")
            r.kind = RouteKind::stream;
        if (segments[0] == "live.m3u8")
            r.kind = RouteKind::playlist;
        if (segments[0] == "stats")
            r.kind = RouteKind::stats;
        if (segments[0] == "metrics")
            r.kind = RouteKind::metrics;
        return r;
    }
    if (segments.size() == 2 && segments[0] == "seg") {
        if (const auto seq = HlsWindow::parse_segment_name(segments[1])) {
            r.kind = RouteKind::segment;
            r.seq = *seq;
        } else {
            r.kind = RouteKind::bad_segment;
        }
        return r;
    }
    if (segments.size() > 2 && segments[0] == "seg")
        r.kind = RouteKind::bad_segment;
    return r;
}

}  // namespace p2pls::player
