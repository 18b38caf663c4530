// The channel's Ed25519 key on disk: a 32-byte seed as hex (source/core/signed_chunk.hpp),
// created on first run from libsodium's randombytes with mode 0600.
#pragma once

#include <string>

#include "common/core/chunk_signature.hpp"
#include "common/core/errc.hpp"

namespace p2pls::source::io {

struct LoadedKey {
    KeyPair keys;
    bool created = false;   // the file did not exist and was written now
    bool too_open = false;  // group or others may read it (mode & 077)
};

// Reads `path`, or creates it (and its parent folders) when it does not exist.
// Fails with io_error (unreadable, cannot create) or key_invalid (bad contents); `why` says
// which in one line.
Result<LoadedKey> load_or_create_key(const std::string& path, std::string& why);

// The default key path for a channel: $XDG_STATE_HOME/p2pls/<channel>.key when
// XDG_STATE_HOME is set, else ./<channel>.key.
std::string default_key_path(const std::string& channel);

}  // namespace p2pls::source::io
