// Source announces as a real source signs them (tracker/core/source_announce.hpp), for
// tests that drive the tracker: a deterministic key per number and strictly increasing
// timestamps, so that every announce is fresh for the tracker.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/chunk_signature.hpp"
#include "p2pls/tracker.pb.h"
#include "tracker/core/source_announce.hpp"

namespace p2pls::testing {

inline KeyPair source_keys(unsigned char n = 1) {
    KeySeed seed{};
    seed.fill(n);
    return keypair_from_seed(seed);
}

inline std::string key_bytes(const PublicKey& key) {
    return {reinterpret_cast<const char*>(key.data()), key.size()};
}

inline SourceEpoch test_epoch(unsigned char n = 1) {
    SourceEpoch e{};
    e.fill(n);
    return e;
}

class SourceSigner {
  public:
    explicit SourceSigner(KeyPair keys = source_keys(), SourceEpoch epoch = test_epoch())
        : keys_(keys), epoch_(epoch) {}

    // Sets public_key and source_epoch, then signs with a timestamp of at least
    // `unix_ms` and above the previous one.
    void sign(tracker_api::AnnounceRequest& r, std::string_view channel, std::int64_t unix_ms) {
        last_ms_ = std::max(unix_ms, last_ms_ + 1);
        r.set_public_key(key_bytes(keys_.public_key));
        r.set_source_epoch(reinterpret_cast<const char*>(epoch_.data()), epoch_.size());
        tracker::sign_source_announce(r, channel, keys_.secret_key, last_ms_);
    }

    [[nodiscard]] const KeyPair& keys() const noexcept { return keys_; }
    [[nodiscard]] std::string public_key() const { return key_bytes(keys_.public_key); }
    void set_epoch(const SourceEpoch& epoch) { epoch_ = epoch; }

  private:
    KeyPair keys_;
    SourceEpoch epoch_;
    std::int64_t last_ms_ = 0;
};

}  // namespace p2pls::testing
