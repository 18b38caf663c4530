// The peer engine driven by hostile neighbours: several connections send a sequence of
// messages (well-formed ones built from the input, validly signed chunks among them, and
// raw frames parsed as PeerMessages), with connects, losses, time steps and, in DECADE mode,
// answers to its storage fetches. After every event:
//   - nothing crashes, and state stays bounded (neighbours, stored chunks, actions);
//   - no chunk is stored that the engine did not ask for (natively or from storage), and
//     every stored chunk verifies under the channel key and epoch;
//   - it never plays a chunk twice, and plays in seq order.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/core/announce_signature.hpp"
#include "common/core/chunk_bitmap.hpp"
#include "common/core/chunk_signature.hpp"
#include "common/core/overloaded.hpp"
#include "common/core/peer_codec.hpp"
#include "p2pls/decade.pb.h"
#include "p2pls/peer.pb.h"
#include "peer/core/decade_object.hpp"
#include "peer/core/peer_engine.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace p2pls;
using namespace p2pls::peer;
using fuzz::FuzzInput;

constexpr std::string_view kChannel = "fuzz";
constexpr std::uint32_t kNeighbors = 4;
constexpr std::uint64_t kLiveEdge = 1'000;

const KeyPair& channel_keys() {
    static const KeyPair keys = [] {
        KeySeed seed{};
        seed.fill(0x5c);
        return keypair_from_seed(seed);
    }();
    return keys;
}

SourceEpoch epoch() {
    SourceEpoch e{};
    e.fill(0x0e);
    return e;
}

// A chunk near the live edge, signed for this channel and epoch, or spoiled on purpose.
wire::Chunk make_chunk(FuzzInput& in) {
    wire::Chunk c;
    c.set_seq(kLiveEdge - 20 + in.in_range(0, 40));
    c.set_timestamp_us(static_cast<std::int64_t>(c.seq()) * 1'000'000);
    c.set_duration_us(1'000'000);
    c.set_payload(std::string(in.bytes(256)));
    const auto how = in.integral<std::uint8_t>() % 4;
    SourceEpoch e = epoch();
    if (how == 1) {
        e[0] ^= 1;  // another run's chunk
    }
    sign_chunk(channel_keys().secret_key, kChannel, c, e);
    if (how == 2 && !c.payload().empty()) {
        (*c.mutable_payload())[0] ^= 1;  // one changed byte
    }
    return c;
}

wire::PeerMessage make_message(FuzzInput& in) {
    wire::PeerMessage m;
    switch (in.integral<std::uint8_t>() % 9) {
        case 0: {
            auto* h = m.mutable_hello();
            h->set_version(kWireVersion);
            h->set_channel(in.boolean() ? std::string(kChannel) : "other");
            h->set_peer_id("n-" + std::to_string(in.in_range(0, 5)));
            h->set_mode(in.boolean() ? wire::native : wire::decade);
            h->set_listen_endpoint("127.0.0.1:" + std::to_string(7000 + in.in_range(0, 5)));
            h->set_is_source(in.boolean());
            break;
        }
        case 1: {
            auto* bm = m.mutable_buffer_map();
            const auto window = static_cast<std::uint32_t>(in.in_range(1, 128));
            bm->set_base(kLiveEdge - 40 + in.in_range(0, 60));
            bm->set_window(window);
            std::string bits(in.bytes((window + 7) / 8));
            bits.resize((window + 7) / 8, '\xff');
            if (window % 8 != 0) {
                bits.back() = static_cast<char>(static_cast<unsigned char>(bits.back()) &
                                                ((1U << (window % 8)) - 1));
            }
            bm->set_bits(bits);
            bm->set_live_edge(in.boolean() ? kLiveEdge + in.in_range(0, 10)
                                           : in.integral<std::uint64_t>());
            break;
        }
        case 2: {
            auto* have = m.mutable_have();
            for (auto n = in.in_range(0, 8); n > 0; --n) {
                have->add_seqs(kLiveEdge - 20 + in.in_range(0, 40));
            }
            break;
        }
        case 3:
        case 4:
            *m.mutable_chunk() = make_chunk(in);
            break;
        case 5: {
            auto* busy = m.mutable_busy();
            busy->add_seqs(kLiveEdge - 20 + in.in_range(0, 40));
            busy->set_retry_after_ms(static_cast<std::uint32_t>(in.in_range(0, 5'000)));
            break;
        }
        case 6: {
            auto* request = m.mutable_request();
            for (auto n = in.in_range(0, 70); n > 0; --n) {
                request->add_seqs(kLiveEdge - 20 + in.in_range(0, 40));
            }
            request->set_due_soon(in.boolean());
            break;
        }
        case 7:
            // Junk here; the driver below may swap in a valid proof for the neighbour.
            m.mutable_source_proof()->set_signature(std::string(in.bytes(64)));
            break;
        default: {
            // Any frame body at all.
            auto parsed = parse_peer_message(in.bytes(300));
            if (parsed) {
                m = std::move(*parsed);
            } else {
                m.mutable_bye()->set_reason("unparsable");
            }
            break;
        }
    }
    return m;
}

struct Observer {
    std::set<std::uint64_t> asked;  // seqs requested natively or fetched from storage
    std::vector<DecadeFetch> pending_fetches;
    std::optional<std::uint64_t> last_played;
    std::set<std::uint32_t> connected;

    void take(PeerEngine& engine, std::uint32_t object_chunks) {
        auto actions = engine.take_actions();
        FUZZ_CHECK(actions.size() < 10'000);
        for (auto& action : actions) {
            std::visit(Overloaded{
                           [&](SendMessage& a) {
                               if (a.message.has_request()) {
                                   for (const auto s : a.message.request().seqs()) {
                                       asked.insert(s);
                                   }
                               }
                           },
                           [&](DecadeFetch& a) {
                               for (const auto& op : a.ops) {
                                   // Object names are prefix + first seq; k chunks each.
                                   const auto& name = op.remote_name();
                                   const auto dash = name.find_last_of('-');
                                   const std::uint64_t first = std::stoull(name.substr(dash + 1));
                                   for (std::uint32_t i = 0; i < object_chunks; ++i) {
                                       asked.insert(first + i);
                                   }
                               }
                               pending_fetches.push_back(std::move(a));
                           },
                           [&](PlayChunk& a) {
                               FUZZ_CHECK(!last_played || a.chunk->seq() > *last_played);
                               last_played = a.chunk->seq();
                           },
                           [&](Disconnect& a) { connected.erase(a.who.value()); },
                           [](auto&) {},
                       },
                       action);
        }
    }
};

void check(const PeerEngine& engine, const Observer& seen) {
    FUZZ_CHECK(engine.neighbors().size() <= kNeighbors);
    const auto& store = engine.store();
    FUZZ_CHECK(store.size() <= ChunkBitmap::kMaxWindow);
    for (ChunkSeq s = store.base(); s < store.end(); ++s) {
        if (!store.has(s)) {
            continue;
        }
        FUZZ_CHECK(seen.asked.contains(s.value()));
        const auto chunk = store.get(s);
        FUZZ_CHECK(chunk != nullptr);
        FUZZ_CHECK(verify_chunk(channel_keys().public_key, kChannel, *chunk, epoch()).has_value());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet_protobuf();
    FuzzInput in(data, size);
    EngineConfig config;
    config.channel = std::string(kChannel);
    config.peer_id = PeerId{"me"};
    config.listen_endpoint = "127.0.0.1:6999";
    config.public_key = channel_keys().public_key;
    config.epoch = epoch();
    config.target_neighbors = 3;
    config.max_neighbors = kNeighbors;
    const bool decade = in.boolean();
    if (decade) {
        config.decade.enabled = true;
        config.decade.server = "http://127.0.0.1:8300";
        config.decade.locker = "me";
        config.decade.object_chunks = static_cast<std::uint32_t>(in.in_range(1, 4));
    }
    TimePoint now{};
    PeerEngine engine(config, in.integral<std::uint64_t>(), now);
    Observer seen;

    std::vector<PeerCandidate> peers;
    for (std::uint32_t i = 0; i < 5; ++i) {
        peers.push_back(
            {PeerId{"n-" + std::to_string(i)}, "127.0.0.1:" + std::to_string(7000 + i), i == 0});
    }
    engine.on_peer_list(peers, ChunkSeq{kLiveEdge}, now);
    seen.take(engine, config.decade.object_chunks);

    std::uint32_t next_id = 1;
    for (int step = 0; !in.empty() && step < 200; ++step) {
        const auto event = in.integral<std::uint8_t>() % 8;
        const auto pick = [&] {
            if (seen.connected.empty()) {
                return NeighborId{0};
            }
            auto it = seen.connected.begin();
            std::advance(it, static_cast<long>(in.in_range(0, seen.connected.size() - 1)));
            return NeighborId{*it};
        };
        if (event == 0 || seen.connected.empty()) {
            const NeighborId id{next_id++};
            seen.connected.insert(id.value());
            engine.on_neighbor_connected(
                id, "127.0.0.1:" + std::to_string(7000 + in.in_range(0, 5)), in.boolean(), now);
        } else if (event <= 4) {
            const NeighborId id = pick();
            wire::PeerMessage m = make_message(in);
            const peer::Neighbor* n = engine.neighbors().find(id);
            if (m.has_source_proof() && n != nullptr && in.boolean()) {
                // The source's real proof for this connection's nonce.
                SourceStatement s;
                s.kind = SourceStatementKind::hello_proof;
                s.channel = kChannel;
                s.peer_id = n->peer_id.value();
                s.epoch = epoch();
                s.nonce = n->hello_nonce;
                const Signature sig = sign_source_statement(channel_keys().secret_key, s);
                m.mutable_source_proof()->set_signature(reinterpret_cast<const char*>(sig.data()),
                                                        sig.size());
            }
            engine.on_message(id, m, now);
        } else if (event == 5) {
            now += std::chrono::milliseconds(in.in_range(0, 2'000));
            if (engine.next_timer() <= now) {
                engine.on_timer(now);
            }
        } else if (event == 6) {
            const NeighborId id = pick();
            seen.connected.erase(id.value());
            engine.on_neighbor_lost(id, Errc::unavailable, now);
        } else if (!seen.pending_fetches.empty()) {
            // Storage answers the oldest fetch: the objects it asked for (made of signed
            // chunks, some spoiled), junk, or a failure.
            DecadeFetch fetch = std::move(seen.pending_fetches.front());
            seen.pending_fetches.erase(seen.pending_fetches.begin());
            DecadeResult result;
            result.code = in.boolean() ? Errc::ok : Errc::unavailable;
            for (std::size_t i = 0; i < fetch.ops.size() && result.code == Errc::ok; ++i) {
                DecadeObjectResult object;
                if (in.boolean()) {
                    std::vector<std::shared_ptr<const wire::Chunk>> chunks;
                    for (auto n = in.in_range(1, 4); n > 0; --n) {
                        chunks.push_back(std::make_shared<const wire::Chunk>(make_chunk(in)));
                    }
                    object.data = encode_object(chunks);
                } else {
                    object.data = std::string(in.bytes(200));
                }
                result.objects.push_back(std::move(object));
            }
            engine.on_decade_fetched(fetch.id, std::move(result), now);
        }
        seen.take(engine, config.decade.object_chunks);
        check(engine, seen);
    }
    return 0;
}
