// Prints the signed source announces a tracker benchmark fills its channels with: one JSON
// body per line for channels PREFIX0 .. PREFIX{N-1}, each signed now (wall clock) by its
// own channel key, as p2pls-source signs it. The tracker refuses an unsigned source
// announce, so the shell benchmarks cannot write these bodies by hand.
//
//   signed_announces N [PREFIX]   (PREFIX default "ch")
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/core/proto_json.hpp"
#include "tracker/core/source_announce.hpp"

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: signed_announces N [PREFIX]\n");
        return 1;
    }
    char* end = nullptr;
    const unsigned long n = std::strtoul(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || n > 1'000'000) {
        std::fprintf(stderr, "signed_announces: N must be a number up to 1000000\n");
        return 1;
    }
    const std::string prefix = argc == 3 ? argv[2] : "ch";
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    for (unsigned long i = 0; i < n; ++i) {
        p2pls::KeySeed seed{};
        for (std::size_t b = 0; b < seed.size(); ++b) {
            seed[b] = static_cast<unsigned char>((i >> (8 * (b % 8))) + b);
        }
        const p2pls::KeyPair keys = p2pls::keypair_from_seed(seed);
        const std::string channel = prefix + std::to_string(i);
        p2pls::tracker_api::AnnounceRequest r;
        r.set_peer_id("src" + std::to_string(i));
        r.set_endpoint("127.0.0.1:9000");
        r.set_event(p2pls::tracker_api::started);
        r.set_is_source(true);
        r.set_bitrate_bps(1'000'000);
        r.set_public_key(std::string(reinterpret_cast<const char*>(keys.public_key.data()),
                                     keys.public_key.size()));
        r.set_source_epoch(std::string(16, '\x11'));
        p2pls::tracker::sign_source_announce(r, channel, keys.secret_key, now_ms);
        std::printf("%s %s\n", channel.c_str(), p2pls::to_json(r).c_str());
    }
    return 0;
}
