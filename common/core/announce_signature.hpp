// What a channel's source signs so that anyone holding the channel key can check it: the
// source's statement to the tracker (and, relayed by the tracker, to every viewer). The
// tracker knows a channel by its key, never by a peer id that every reply publishes.
//
// Each kind of signed message starts with its own context prefix, so that a signature
// made for one kind (an announce, a stopped event, a chunk) never verifies as another.
// Pure: the timestamp is passed in (Unix milliseconds, wall clock, so that the tracker and
// the viewers can judge it against their own clocks).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/chunk_signature.hpp"
#include "common/core/errc.hpp"

namespace p2pls {

// The kinds of statement a source signs.
enum class SourceStatementKind {
    announce,  // "I am the source of this channel, here, in this run, at this live edge"
    stopped,   // "this run of the source has left the channel"
    // "I hold the channel key, in this run: here is your nonce back" (the peer wire's
    // SourceProof; endpoint, live edge and timestamp are not part of it).
    hello_proof,
};

// The fields of one statement. The channel name is bound in, so a statement of one
// channel is worthless for another.
struct SourceStatement {
    SourceStatementKind kind = SourceStatementKind::announce;
    std::string_view channel;
    std::string_view peer_id;
    std::string_view endpoint;  // as the source announced it (the tracker may rewrite 0.0.0.0)
    SourceEpoch epoch{};
    std::uint64_t live_edge = 0;
    std::int64_t timestamp_ms = 0;  // Unix milliseconds when the source signed
    std::string_view nonce;         // hello_proof: the nonce of the viewer's Hello
};

Signature sign_source_statement(const SecretKey& key, const SourceStatement& statement);

// Fails with signature_invalid on any mismatch (including a signature of the wrong size).
Result<void> verify_source_statement(const PublicKey& key, const SourceStatement& statement,
                                     std::string_view signature);

// The key and the bytes of a Hello nonce (hello_proof).
using NonceKey = std::array<unsigned char, 32>;
inline constexpr std::size_t kHelloNonceBytes = 16;

// The nonce of a viewer's `counter`-th Hello: BLAKE2b keyed with `key` (32 random bytes
// the adapter draws), so nobody can predict it and have the source sign it in advance,
// and a simulation stays deterministic for its seed.
std::string hello_nonce(const NonceKey& key, std::uint64_t counter);

// A source epoch as it travels (tracker JSON): exactly 16 bytes, else key_invalid.
Result<SourceEpoch> source_epoch_from_bytes(std::string_view bytes);

// Whether `timestamp_ms` is within `skew_ms` of `now_ms`, either way (no overflow for any
// input: both come from the network or a clock).
bool within_skew(std::int64_t timestamp_ms, std::int64_t now_ms, std::int64_t skew_ms);

}  // namespace p2pls
