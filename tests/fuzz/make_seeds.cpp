// Writes the structured seeds of the fuzz corpora (tests/fuzz/corpus/README.md): the
// messages the real code paths produce — announces as peers and sources send them, the
// tracker's real replies to them, tokens minted by generate_token, store records as the
// directory store writes them — laid out in the input
// format of each target (FuzzInputWriter mirrors the targets' FuzzInput).
//
//   fuzz_make_seeds CORPUS_DIR [CLIP.ts]    writes CORPUS_DIR/<target>/seed-<what>
//
// CLIP.ts is MPEG-TS as the source's pipeline makes it, e.g.
//   gst-launch-1.0 -q videotestsrc num-buffers=75 ! video/x-raw,width=160,height=120,
//     framerate=25/1 ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency
//     speed-preset=ultrafast bitrate=200 key-int-max=25 ! h264parse ! mpegtsmux alignment=7
//     ! filesink location=clip.ts
//
// Not run by the tests: the seeds it wrote are committed. Run it again when a message
// format changes, then scripts/fuzz.sh to grow the corpora from the new seeds.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/core/chunk_signature.hpp"
#include "common/core/proto_json.hpp"
#include "common/core/registration_proof.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/store_records.hpp"
#include "p2pls/tracker.pb.h"
#include "tests/fuzz/fuzz_input.hpp"
#include "tracker/core/api.hpp"
#include "tracker/core/source_announce.hpp"

namespace {

namespace fs = std::filesystem;
using p2pls::fuzz::FuzzInputWriter;

fs::path g_root;

void write_seed(const std::string& target, const std::string& what, const std::string& bytes) {
    const fs::path dir = g_root / target;
    fs::create_directories(dir);
    std::ofstream(dir / ("seed-" + what), std::ios::binary) << bytes;
}

// --- tracker: announces as peer_node.cpp builds them, and the tracker's replies -------

p2pls::tracker_api::AnnounceRequest viewer_announce(int i, bool decade) {
    p2pls::tracker_api::AnnounceRequest r;
    r.set_peer_id("peer-" + std::to_string(1000 + i));
    r.set_endpoint("127.0.0.1:" + std::to_string(9100 + i));
    r.set_mode(decade ? p2pls::wire::decade : p2pls::wire::native);
    if (decade) {
        r.set_decade_server("http://127.0.0.1:8300");
    }
    r.set_event(i % 3 == 0 ? p2pls::tracker_api::started : p2pls::tracker_api::heartbeat);
    r.set_region(i % 2 == 0 ? "eu" : "us");
    r.set_num_want(static_cast<std::uint32_t>(i % 4 == 0 ? 0 : 20));
    return r;
}

// The channel key of the seeds' source: a fixed seed, so the seeds stay the same.
p2pls::KeyPair source_keys() {
    p2pls::KeySeed seed{};
    seed.fill(0x11);
    return p2pls::keypair_from_seed(seed);
}

p2pls::tracker_api::AnnounceRequest source_announce(std::int64_t timestamp_ms) {
    p2pls::tracker_api::AnnounceRequest r;
    r.set_peer_id("source-1");
    r.set_endpoint("127.0.0.1:9000");
    r.set_mode(p2pls::wire::native);
    r.set_event(p2pls::tracker_api::started);
    r.set_is_source(true);
    r.set_bitrate_bps(500'000);
    r.set_chunk_ms(1000);
    const auto keys = source_keys();
    r.set_public_key(std::string(keys.public_key.begin(), keys.public_key.end()));
    r.set_live_edge(42);
    r.set_source_epoch(std::string(16, '\x07'));
    p2pls::tracker::sign_source_announce(r, "demo", keys.secret_key, timestamp_ms);
    return r;
}

// The tracker_api target's clock: this Unix time plus the input's offset.
constexpr std::int64_t kBaseUnixMs = 1'800'000'000'000;

std::string api_input(std::uint64_t offset_s, std::size_t method, std::string_view target,
                      std::string_view host, std::string_view body,
                      std::string_view proof_timestamp = "", std::string_view proof = "") {
    FuzzInputWriter w;
    w.in_range(offset_s, 0).in_range(method, 0).bytes(target).bytes(host);
    w.bytes(proof_timestamp).bytes(proof).rest(body);
    return w.str();
}

void tracker_seeds() {
    p2pls::tracker::TrackerState state(p2pls::tracker::TrackerConfig{}, 7);
    const auto now = p2pls::TimePoint{} + std::chrono::seconds(100);
    const std::string announce_target = "/v1/channels/demo/announce";
    std::vector<std::pair<std::string, std::string>> requests;
    requests.emplace_back("source", p2pls::to_json(source_announce(kBaseUnixMs + 1000)));
    for (int i = 0; i < 4; ++i) {
        requests.emplace_back("viewer-" + std::to_string(i),
                              p2pls::to_json(viewer_announce(i, i % 2)));
    }
    for (const auto& [what, body] : requests) {
        write_seed("tracker_json", "announce-" + what, body);
        write_seed("tracker_api", "announce-" + what,
                   api_input(1, 1, announce_target, "127.0.0.1", body));
        const p2pls::tracker::ApiRequest request{.method = "POST",
                                                 .target = announce_target,
                                                 .body = body,
                                                 .remote_host = "127.0.0.1",
                                                 .unix_ms = kBaseUnixMs + 1000};
        const auto reply = p2pls::tracker::handle_request(state, request, now);
        write_seed("tracker_json", "reply-" + what, reply.body);
    }
    p2pls::tracker_api::DecadeServerInfo server;
    server.set_url("http://127.0.0.1:8300");
    server.set_region("eu");
    server.set_load(0.25);
    // Proven with the key the tracker_api target's tracker is configured with.
    p2pls::RegistrationKey key{};
    key.fill(0x33);
    const std::string body = p2pls::to_json(server);
    const std::int64_t at = kBaseUnixMs + 5000;
    write_seed("tracker_api", "register-server",
               api_input(5, 1, "/v1/decade-servers", "127.0.0.1", body, std::to_string(at),
                         p2pls::make_registration_proof(key, at, body)));
    write_seed("tracker_api", "list-channels", api_input(2, 0, "/v1/channels", "::1", ""));
    write_seed("tracker_api", "get-channel", api_input(0, 0, "/v1/channels/demo", "10.0.0.1", ""));
    write_seed("tracker_api", "metrics", api_input(0, 0, "/metrics", "127.0.0.1", ""));
}

// --- tokens: minted with the secret the token target verifies with -------------------

void token_seeds() {
    p2pls::decade::LockerSecret secret{};
    secret.fill(0x42);
    const auto mint = [&](const p2pls::decade::TokenClaims& c) {
        auto t = p2pls::decade::generate_token(secret, c);
        if (!t) {
            std::fprintf(stderr, "make_seeds: cannot mint a seed token\n");
            std::exit(1);
        }
        return *t;
    };
    const p2pls::decade::TokenClaims range{.locker = "fuzz-locker",
                                           .ops = p2pls::decade::op_bit(p2pls::decade::Op::get),
                                           .prefix = "demo-",
                                           .seq_first = 100,
                                           .seq_last = 163,
                                           .not_before_s = 1'000,
                                           .expiry_s = 1'060,
                                           .byte_budget = 0,
                                           .token_id = 77,
                                           .grantee = ""};
    auto bound = range;
    bound.grantee = "127.0.0.2";
    bound.byte_budget = 1 << 20;
    auto owner = range;
    owner.ops = p2pls::decade::kAllOps;
    owner.prefix = "";
    owner.seq_first = 0;
    owner.seq_last = UINT64_MAX;
    owner.expiry_s = 1'000'000;
    const auto token_input = [](std::uint64_t op_index, std::string_view object,
                                std::uint64_t bytes, std::string_view client, std::uint32_t now,
                                const std::string& token) {
        FuzzInputWriter w;
        w.in_range(op_index, 0).bytes(object).in_range(bytes, 0).in_range(0, 0).bytes(client);
        w.integral<std::uint32_t>(now).rest(token);
        return w.str();
    };
    write_seed("token", "range-get", token_input(0, "demo-120", 65536, "", 1'010, mint(range)));
    write_seed("token", "grantee-budget",
               token_input(0, "demo-100", 4096, "127.0.0.2", 1'020, mint(bound)));
    write_seed("token", "owner-put", token_input(1, "anything", 100, "", 5'000, mint(owner)));
    write_seed("token", "owner-status", token_input(3, "", 0, "", 5'000, mint(owner)));
    write_seed("token", "expired", token_input(0, "demo-120", 1, "", 2'000, mint(range)));
}

// --- store records: as DirStore writes them ------------------------------------------

void store_record_seeds() {
    p2pls::decade_server::RefRecord ref;
    ref.locker = "alice";
    ref.name = "demo-120";
    ref.hash.fill(0xab);
    ref.size = 65536;
    ref.expiry_s = 1'700'000'600;
    const auto record_input = [](std::string_view locker, std::string_view name,
                                 const std::string& text) {
        FuzzInputWriter w;
        w.bytes(locker).bytes(name).rest(text);
        return w.str();
    };
    write_seed("store_record", "ref",
               record_input(ref.locker, ref.name, p2pls::decade_server::format_ref_record(ref)));
    p2pls::decade_server::LockerRecord locker;
    locker.id = "alice";
    locker.secret.fill(0x5a);
    locker.quota_bytes = 256ULL << 20;
    locker.bandwidth_share = 3;
    write_seed("store_record", "locker",
               record_input(locker.id, "", p2pls::decade_server::format_locker_record(locker)));
}

// --- MPEG-TS: slices of a clip the real GStreamer pipeline encoded ------------------

void ts_seeds(const fs::path& clip) {
    std::ifstream in(clip, std::ios::binary);
    const std::string ts((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    constexpr std::size_t kPacket = 188;
    const auto seed = [&](const std::string& what, std::uint64_t chunk_ms, std::uint64_t max_bytes,
                          std::uint32_t first_seq, std::size_t from, std::size_t packets) {
        if (from * kPacket >= ts.size()) {
            return;
        }
        FuzzInputWriter w;
        w.in_range(chunk_ms, 1).in_range(max_bytes, kPacket).integral(first_seq);
        w.integral<std::uint32_t>(12345).rest(ts.substr(from * kPacket, packets * kPacket));
        write_seed("ts", what, w.str());
    };
    // 160 packets (30 KiB) stay under the ts target's max_len of 32 KiB.
    seed("clip-start", 200, 32768, 7, 0, 160);
    seed("clip-middle", 100, 4188, 0, 200, 160);
    seed("clip-small-cap", 2000, kPacket, UINT32_MAX, 0, 100);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [CLIP.ts]\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    tracker_seeds();
    token_seeds();
    store_record_seeds();
    if (argc == 3) {
        ts_seeds(argv[2]);
    }
    return 0;
}
