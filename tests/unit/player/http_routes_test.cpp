// What each request target of the player's HTTP output names, with nothing served.
#include "player/core/http_routes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace p2pls::player {
namespace {

TEST(HttpRoutes, NamesEachResource) {
    EXPECT_EQ(route("GET", "/stream.ts").kind, RouteKind::stream);
    EXPECT_EQ(route("GET", "/live.m3u8").kind, RouteKind::playlist);
    EXPECT_EQ(route("GET", "/stats").kind, RouteKind::stats);
    EXPECT_EQ(route("GET", "/metrics").kind, RouteKind::metrics);
    const Route seg = route("GET", "/seg/42.ts");
    EXPECT_EQ(seg.kind, RouteKind::segment);
    EXPECT_EQ(seg.seq, 42U);
    EXPECT_FALSE(seg.head);
}

TEST(HttpRoutes, IgnoresTheQuery) {
    // hls.js and caches add cache-busting queries; they must not change the resource.
    EXPECT_EQ(route("GET", "/live.m3u8?_HLS_msn=3").kind, RouteKind::playlist);
    const Route seg = route("GET", "/seg/7.ts?x=1");
    EXPECT_EQ(seg.kind, RouteKind::segment);
    EXPECT_EQ(seg.seq, 7U);
}

TEST(HttpRoutes, HeadIsGetWithoutABody) {
    const Route r = route("HEAD", "/seg/3.ts");
    EXPECT_EQ(r.kind, RouteKind::segment);
    EXPECT_TRUE(r.head);
}

TEST(HttpRoutes, OtherMethodsAreRefused) {
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get", ""}) {
        EXPECT_EQ(route(method, "/live.m3u8").kind, RouteKind::bad_method) << method;
    }
}

TEST(HttpRoutes, MalformedSegmentNamesAreBadRequests) {
    for (const char* target :
         {"/seg/x.ts", "/seg/12", "/seg/12.ts.ts", "/seg/-1.ts", "/seg/99999999999999999999999.ts",
          "/seg/1.ts/extra", "/seg/.ts", "/seg/+1.ts", "/seg/0x10.ts"}) {
        EXPECT_EQ(route("GET", target).kind, RouteKind::bad_segment) << target;
    }
}

TEST(HttpRoutes, WebFilesAreAWhitelist) {
    EXPECT_EQ(route("GET", "/").kind, RouteKind::web_file);
    EXPECT_EQ(route("GET", "/").file, "/");
    EXPECT_EQ(route("GET", "/index.html").file, "/");
    EXPECT_EQ(route("GET", "/player.js").file, "/player.js");
    EXPECT_EQ(route("GET", "/hls.min.js").file, "/hls.min.js");
    // Nothing else on the disk can be named, however the path is spelled.
    for (const char* target :
         {"/../../etc/passwd", "/player/../player.js", "/%2e%2e/etc/passwd", "/node_modules",
          "/player/index.html", "/web/player/player.js", "//player.js", "/package.json"}) {
        const Route r = route("GET", target);
        EXPECT_NE(r.kind, RouteKind::web_file) << target;
    }
}

TEST(HttpRoutes, UnknownPathsAreNotFoundWithHelp) {
    for (const char* target : {"/nope", "/stream", "/live.m3u", "/stats/x", "/a/b/c"}) {
        EXPECT_EQ(route("GET", target).kind, RouteKind::not_found) << target;
    }
    const std::string help(routes_help());
    for (const char* path : {"/live.m3u8", "/stream.ts", "/stats", "/metrics"}) {
        EXPECT_NE(help.find(path), std::string::npos) << path;
    }
}

TEST(HttpRoutes, EveryWebFileHasADistinctUrlAndAType) {
    std::set<std::string_view> urls;
    for (const WebFileSpec& f : web_files()) {
        EXPECT_TRUE(urls.insert(f.url).second) << f.url;
        EXPECT_FALSE(f.content_type.empty()) << f.url;
        EXPECT_EQ(f.file.find(".."), std::string_view::npos) << f.file;
        EXPECT_NE(f.file.front(), '/') << f.file;
    }
}

}  // namespace
}  // namespace p2pls::player
