#include "experiments/core/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace p2pls::experiments {
namespace {

const char* kPeerHelpNative = R"(p2pls-peer
Options:
  -h,--help                   Print this help message and exit
  --tracker TEXT              Tracker URL
  --upload-limit TEXT         Upload cap
  --report TEXT               QoE JSON lines
)";

const char* kPeerHelpDecade = R"(p2pls-peer
Options:
  --tracker TEXT              Tracker URL
  --upload-limit UINT         Media upload cap in kbit/s (0: unlimited)
  --report TEXT               QoE JSON lines
  --peer-id TEXT              Peer id
  --mode TEXT                 native or decade
  --decade-server TEXT        DECADE server URL
  --delay-ms FLOAT            one-way delay
  --object-chunks UINT        k
  --decade-slots UINT         m
  --decade-local-address TEXT source address towards DECADE servers
)";

const char* kPeerHelpDecadeStub = R"(Options:
  --report TEXT               QoE JSON lines
  --upload-limit TEXT         Upload cap
  --mode TEXT                 native or decade (not yet supported)
)";

const char* kDecadeHelp = R"(Options:
  --listen TEXT
  --port-file TEXT
  --egress-bps UINT=0         egress cap for object bytes, bits per second
  --slots UINT
  --threads UINT
  --region TEXT
  --dev-open
)";

bool contains(const std::vector<std::string>& argv, const std::string& a, const std::string& b) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == a && argv[i + 1] == b) {
            return true;
        }
    }
    return false;
}

bool has(const std::vector<std::string>& argv, const std::string& a) {
    return std::find(argv.begin(), argv.end(), a) != argv.end();
}

Scenario scenario() {
    Scenario s;
    s.name = "t";
    s.peers = 4;
    s.peer_upload_bps = 1000;
    s.slots = 6;
    s.regions = {{.name = "eu", .share = 1, .one_way_delay_ms = 25},
                 {.name = "us", .share = 1, .one_way_delay_ms = 12.6}};
    s.region_delays = {{.a = "eu", .b = "us", .one_way_delay_ms = 40}};
    s.decade_servers = {{.region = "eu", .egress_bps = 0}, {.region = "us", .egress_bps = 0}};
    return s;
}

TEST(TestbedPlan, DecadeModeNeedsAPeerThatSupportsIt) {
    const auto native_only = detect_capabilities("t", "s --replay x", kPeerHelpNative, kDecadeHelp);
    EXPECT_FALSE(mode_unavailable(Mode::native, native_only));
    const auto why = mode_unavailable(Mode::decade, native_only);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("no DECADE mode"), std::string::npos);

    const auto stub = detect_capabilities("t", "s", kPeerHelpDecadeStub, kDecadeHelp);
    EXPECT_FALSE(stub.peer_decade_mode);

    const auto full = detect_capabilities("t", "s", kPeerHelpDecade, kDecadeHelp);
    EXPECT_TRUE(full.peer_decade_mode);
    EXPECT_FALSE(mode_unavailable(Mode::decade, full));
    EXPECT_EQ(full.peer_delay_flag, "--delay-ms");

    const auto no_server = detect_capabilities("t", "s", kPeerHelpDecade, "");
    EXPECT_TRUE(mode_unavailable(Mode::decade, no_server));
    const auto nothing = detect_capabilities("", "", "", "");
    EXPECT_TRUE(mode_unavailable(Mode::native, nothing));
}

TEST(TestbedPlan, FlagDetectionDoesNotMatchPrefixes) {
    const auto caps = detect_capabilities("t", "s", "  --modes x\n  --reporter y\n", "");
    EXPECT_FALSE(caps.peer_decade_mode);
    EXPECT_FALSE(caps.peer_report);
}

TEST(TestbedPlan, PeersGetBuInNativeModeAndTheirServerInDecadeMode) {
    const auto caps = detect_capabilities("t", "s", kPeerHelpDecade, kDecadeHelp);
    const RunPaths paths{.bin_dir = "/b", .run_dir = "/o/native", .clip = ""};
    const Scenario s = scenario();
    const auto native = peer_spec(s, Mode::native, paths, caps, "http://127.0.0.1:9", 3, 1, 0,
                                  "http://127.0.0.1:7");
    EXPECT_EQ(native.argv.front(), "/b/p2pls-peer");
    EXPECT_EQ(native.name, "peer-003.s1");
    EXPECT_TRUE(contains(native.argv, "--upload-limit", "8"));  // 1000 B/s in kbit/s
    EXPECT_TRUE(contains(native.argv, "--peer-id", "peer-003.s1"));
    EXPECT_TRUE(contains(native.argv, "--report", "/o/native/reports/peer-003.s1.jsonl"));
    EXPECT_TRUE(contains(native.argv, "--delay-ms", "25"));
    EXPECT_FALSE(has(native.argv, "--mode"));
    EXPECT_EQ(native.log, "/o/native/logs/peer-003.s1.log");

    const auto decade = peer_spec(s, Mode::decade, paths, caps, "http://127.0.0.1:9", 0, 0, 1,
                                  "http://127.0.0.1:7");
    EXPECT_TRUE(contains(decade.argv, "--mode", "decade"));
    EXPECT_TRUE(contains(decade.argv, "--decade-server", "http://127.0.0.1:7"));
    EXPECT_TRUE(contains(decade.argv, "--object-chunks", "1"));
    EXPECT_TRUE(contains(decade.argv, "--decade-slots", "6"));
    // Its own address in its region's block, for neighbours and for DECADE servers.
    EXPECT_TRUE(contains(decade.argv, "--decade-local-address", "127.17.1.1"));
    EXPECT_TRUE(contains(decade.argv, "--listen", "127.17.1.1:0"));
    EXPECT_EQ(peer_address(1, 300), "127.17.2.51");
    EXPECT_NE(peer_address(0, 249), peer_address(0, 250));
    EXPECT_FALSE(has(native.argv, "--decade-slots"));  // k and m are DECADE settings
    // No --link-delay in this build's help: the peer's own region's delay for everything.
    EXPECT_TRUE(contains(decade.argv, "--delay-ms", "13"));
}

TEST(TestbedPlan, DecadeServersShareNTimesBu) {
    const auto caps = detect_capabilities("t", "s", kPeerHelpDecade, kDecadeHelp);
    const RunPaths paths{.bin_dir = "/b", .run_dir = "/o/decade", .clip = ""};
    const auto spec = decade_server_spec(scenario(), paths, caps, 1);
    EXPECT_TRUE(contains(spec.argv, "--egress-bps", "16000"));  // bits/s
    EXPECT_TRUE(contains(spec.argv, "--slots", "6"));
    EXPECT_TRUE(contains(spec.argv, "--threads", "1"));
    EXPECT_TRUE(contains(spec.argv, "--region", "us"));
    EXPECT_TRUE(contains(spec.argv, "--port-file", "/o/decade/decade-1.port"));
    EXPECT_TRUE(has(spec.argv, "--dev-open"));
}

TEST(TestbedPlan, SourceReplaysTheClipWhenItCan) {
    Scenario s = scenario();
    s.source_upload_bps = 5000;
    const RunPaths paths{.bin_dir = "/b", .run_dir = "/o/n", .clip = "/o/clip.ts"};
    const auto caps = detect_capabilities("t",
                                          "  --replay X\n  --loop\n  --upload-limit X  Upload "
                                          "cap to peers, bytes/s, k/M suffixes\n",
                                          kPeerHelpNative, "");
    const auto spec = source_spec(s, Mode::native, paths, caps, "http://127.0.0.1:9");
    EXPECT_TRUE(contains(spec.argv, "--replay", "/o/clip.ts"));
    EXPECT_TRUE(has(spec.argv, "--loop"));
    EXPECT_TRUE(contains(spec.argv, "--upload-limit", "5000"));
    EXPECT_TRUE(contains(spec.argv, "--tracker", "http://127.0.0.1:9"));
    EXPECT_FALSE(has(spec.argv, "--mode"));
    const auto decade_caps = detect_capabilities(
        "t",
        "  --mode TEXT  native or decade (put objects)\n  --decade-server TEXT\n"
        "  --object-chunks UINT\n  --decade-slots UINT\n",
        kPeerHelpNative, "");
    const auto decade_source =
        source_spec(s, Mode::decade, paths, decade_caps, "http://127.0.0.1:9", "http://d:1");
    EXPECT_TRUE(contains(decade_source.argv, "--mode", "decade"));
    EXPECT_TRUE(contains(decade_source.argv, "--decade-server", "http://d:1"));
    EXPECT_TRUE(contains(decade_source.argv, "--object-chunks", "1"));
    EXPECT_TRUE(contains(decade_source.argv, "--decade-slots", "6"));
    const auto native_source =
        source_spec(s, Mode::native, paths, decade_caps, "http://127.0.0.1:9", "http://d:1");
    EXPECT_FALSE(has(native_source.argv, "--mode"));
    const auto live = source_spec(s, Mode::native, paths, detect_capabilities("t", "s", "p", ""),
                                  "http://127.0.0.1:9");
    EXPECT_FALSE(has(live.argv, "--replay"));
}

// The scenario's one-way delay reaches the peers and the source as --delay-ms (whole
// ms, the executables take an integer) only when their --help lists the flag.
TEST(TestbedPlan, ScenarioDelayBecomesTheDelayFlagWhenHelpListsIt) {
    const char* peer_help = R"(Options:
  --tracker TEXT              Tracker URL
  --delay-ms UINT:INT in [0 - 10000] [0]
                              One-way delay added in user space to every message this node
                              sends, ms (0-10000; netem-free link emulation)
)";
    const char* source_help = R"(Options:
  --listen TEXT               host:port
  --delay-ms UINT:INT in [0 - 10000] [0]
                              One-way delay added in user space to every message this node
                              sends, ms (0-10000; netem-free link emulation)
)";
    Scenario s = scenario();
    s.one_way_delay_ms = 40;
    const RunPaths paths{.bin_dir = "/b", .run_dir = "/o/n", .clip = ""};
    const auto caps = detect_capabilities("t", source_help, peer_help, "");
    EXPECT_EQ(caps.peer_delay_flag, "--delay-ms");
    EXPECT_EQ(caps.source_delay_flag, "--delay-ms");
    const auto source = source_spec(s, Mode::native, paths, caps, "http://127.0.0.1:9");
    EXPECT_TRUE(contains(source.argv, "--delay-ms", "25"));  // the source's region: eu
    const auto peer = peer_spec(s, Mode::native, paths, caps, "http://127.0.0.1:9", 1, 0, 1, "");
    EXPECT_TRUE(contains(peer.argv, "--delay-ms", "13"));  // rounded to whole ms

    // No flag in --help: nothing passed (the executable would reject it).
    const auto bare = detect_capabilities("t", "  --listen TEXT\n", kPeerHelpNative, "");
    EXPECT_TRUE(bare.source_delay_flag.empty());
    EXPECT_FALSE(has(source_spec(s, Mode::native, paths, bare, "http://t").argv, "--delay-ms"));
    EXPECT_FALSE(
        has(peer_spec(s, Mode::native, paths, bare, "http://t", 1, 0, 0, "").argv, "--delay-ms"));
    // No delay in the scenario: no flag either.
    s.regions[0].one_way_delay_ms = 0;
    EXPECT_FALSE(has(source_spec(s, Mode::native, paths, caps, "http://t").argv, "--delay-ms"));
}

// In the loopback lab every node gets one --link-delay rule per region, from its own
// region's row of the matrix, and listens in its region's block; DECADE servers too, for
// their Remote Gets from each other.
TEST(TestbedPlan, EveryNodeGetsItsRowOfTheDelayMatrix) {
    const char* help = R"(Options:
  --listen TEXT               host:port
  --delay-ms UINT             one-way delay
  --link-delay TEXT ...       CIDR=MS
  --decade-local-address TEXT
  --local-address TEXT        source address for server-to-server fetches
  --mode TEXT                 native or decade
)";
    Scenario s = scenario();
    s.one_way_delay_ms = 90;
    s.source_region = "us";
    const RunPaths paths{.bin_dir = "/b", .run_dir = "/o/n", .clip = ""};
    const auto caps = detect_capabilities("t", help, help, help);
    ASSERT_TRUE(caps.peer_link_delay && caps.source_link_delay && caps.decade_server_link_delay);

    const auto peer = peer_spec(s, Mode::decade, paths, caps, "http://t", 7, 0, 0, "http://d");
    EXPECT_TRUE(contains(peer.argv, "--listen", "127.16.1.8:0"));
    EXPECT_TRUE(contains(peer.argv, "--delay-ms", "90"));  // off the matrix (the tracker)
    EXPECT_TRUE(contains(peer.argv, "--link-delay", "127.16.0.0/16=25"));  // within eu
    EXPECT_TRUE(contains(peer.argv, "--link-delay", "127.17.0.0/16=40"));  // eu -> us

    const auto source = source_spec(s, Mode::decade, paths, caps, "http://t", "http://d");
    EXPECT_EQ(source_address(s), "127.17.0.254");
    EXPECT_TRUE(contains(source.argv, "--listen", "127.17.0.254:0"));
    EXPECT_TRUE(contains(source.argv, "--link-delay", "127.17.0.0/16=13"));  // within us
    EXPECT_TRUE(contains(source.argv, "--link-delay", "127.16.0.0/16=40"));

    const auto server = decade_server_spec(s, paths, caps, 1);
    EXPECT_TRUE(contains(server.argv, "--listen", "127.17.0.2:0"));
    EXPECT_TRUE(contains(server.argv, "--local-address", "127.17.0.2"));
    EXPECT_TRUE(contains(server.argv, "--link-delay", "127.16.0.0/16=40"));
    EXPECT_EQ(server_host(s, paths, 0), "127.16.0.1");
    EXPECT_EQ(service_addresses(s, paths),
              (std::vector<std::string>{"127.0.0.1", "127.16.0.1", "127.17.0.2"}));

    // With --netns the namespaces have no such blocks: one delay per node, no rules.
    RunPaths lab = paths;
    lab.service_host = "10.70.0.1";
    const auto in_ns = peer_spec(s, Mode::native, lab, caps, "http://t", 7, 0, 0, "");
    EXPECT_FALSE(has(in_ns.argv, "--link-delay"));
    EXPECT_TRUE(contains(in_ns.argv, "--delay-ms", "25"));
    EXPECT_EQ(server_host(s, lab, 1), "10.70.0.1");
}

TEST(TestbedPlan, TrackerConfigListsServersWithRegions) {
    const auto text = tracker_config(scenario(), {"http://127.0.0.1:1", "http://127.0.0.1:2"});
    EXPECT_NE(text.find("url = \"http://127.0.0.1:2\"\nregion = \"us\""), std::string::npos);
    const RunPaths paths{.bin_dir = "/b", .run_dir = "/o", .clip = ""};
    const auto spec = tracker_spec(scenario(), paths, {}, "/o/tracker.toml");
    EXPECT_TRUE(contains(spec.argv, "--config", "/o/tracker.toml"));
    EXPECT_TRUE(contains(spec.argv, "--port-file", "/o/tracker.port"));
}

TEST(TestbedPlan, RatesAreConvertedToEachFlagsUnit) {
    EXPECT_EQ(rate_arg(75'000, RateUnit::bytes_per_s), "75000");
    EXPECT_EQ(rate_arg(75'000, RateUnit::kbit_per_s), "600");
    EXPECT_EQ(rate_arg(75'000, RateUnit::bit_per_s), "600000");
    EXPECT_EQ(rate_arg(10, RateUnit::kbit_per_s), "1");  // never rounds a cap down to "none"
    EXPECT_EQ(rate_arg(0, RateUnit::kbit_per_s), "0");
    const auto caps = detect_capabilities("t", "  --upload-limit X  cap, bytes/s\n",
                                          "  --upload-limit X  cap in kbit/s\n",
                                          "  --egress-bps N  cap, bits per second\n");
    EXPECT_EQ(caps.peer_upload_unit, RateUnit::kbit_per_s);
    EXPECT_EQ(caps.source_upload_unit, RateUnit::bytes_per_s);
    EXPECT_EQ(caps.decade_egress_unit, RateUnit::bit_per_s);
}

TEST(TestbedPlan, NetnsPlacementWrapsThePeerAndMovesItsListenAddress) {
    const auto caps = detect_capabilities("t", "s", kPeerHelpNative, "");
    RunPaths paths{.bin_dir = "/b", .run_dir = "/o", .clip = ""};
    paths.service_host = "10.70.0.1";
    auto spec = peer_spec(scenario(), Mode::native, paths, caps, "http://10.70.0.1:9", 5, 0, 0, "");
    place_in_namespace(spec, "p2tb1-5", "10.70.0.7");
    ASSERT_GE(spec.argv.size(), 5u);
    EXPECT_EQ(spec.argv[0], "ip");
    EXPECT_EQ(spec.argv[3], "p2tb1-5");
    EXPECT_EQ(spec.argv[4], "/b/p2pls-peer");
    EXPECT_TRUE(contains(spec.argv, "--listen", "10.70.0.7:0"));
    const auto tracker = tracker_spec(scenario(), paths, caps, "");
    EXPECT_TRUE(contains(tracker.argv, "--listen", "10.70.0.1:0"));
}

TEST(TestbedPlan, ClipHasAKeyFrameEveryChunk) {
    Scenario s = scenario();
    s.fps = 25;
    s.chunk_ms = 2000;
    const auto argv = clip_command(s, 10, "/o/clip.ts");
    EXPECT_EQ(argv.front(), "gst-launch-1.0");
    EXPECT_TRUE(has(argv, "num-buffers=250"));
    EXPECT_TRUE(has(argv, "key-int-max=50"));
    EXPECT_TRUE(has(argv, "location=/o/clip.ts"));
}

}  // namespace
}  // namespace p2pls::experiments
