// What the player's HTTP output (--http-out) answers, with no I/O: the adapter
// (player/http/ts_server.hpp) asks route() which resource a request names and writes it.
//
//   GET /                 the web player page (web/player/index.html) and its files
//   GET /live.m3u8        the HLS live playlist (player/core/hls_window.hpp)
//   GET /seg/<seq>.ts     one verified chunk, as an HLS segment
//   GET /stream.ts        continuous MPEG-TS for VLC, mpv, ffplay (player/core/fanout.hpp)
//   GET /stats            the player's and its peer's figures as JSON (the page polls it)
//   GET /metrics          Prometheus text
// HEAD is answered as GET with no body; other methods get 405.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2pls::player {

enum class RouteKind {
    stream,       // /stream.ts
    playlist,     // /live.m3u8
    segment,      // /seg/<seq>.ts with a valid seq (it may still be outside the window)
    bad_segment,  // /seg/<anything else>: 400
    stats,        // /stats
    metrics,      // /metrics
    web_file,     // a page file: `file` is its URL in web_files() ("/", "/player.js", ...)
    not_found,    // 404 with routes_help()
    bad_method,   // 405
};

struct Route {
    RouteKind kind = RouteKind::not_found;
    std::uint64_t seq = 0;  // segment
    std::string file;       // web_file
    bool head = false;      // HEAD: headers only
};

// `target` is the request target as received ("/seg/12.ts?x=1"); the query is ignored.
// `method` is the request method's name ("GET", "HEAD", ...).
[[nodiscard]] Route route(std::string_view method, std::string_view target);

// The files of the web page the player serves, by URL path ("/" is index.html). Nothing
// else is read from the web root, so no request can name another file on the disk.
struct WebFileSpec {
    std::string_view url;           // "/player.js"
    std::string_view file;          // relative to the web root: "player/player.js"
    std::string_view content_type;  // "text/javascript; charset=utf-8"
};
[[nodiscard]] const std::array<WebFileSpec, 4>& web_files();

// The 404 body's detail: which paths exist.
[[nodiscard]] std::string_view routes_help();

}  // namespace p2pls::player
