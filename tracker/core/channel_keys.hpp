// Which Ed25519 key each channel belongs to. A channel name is bound to the first key
// whose signed announce the tracker accepted, or pinned to a key by the operator (config);
// a pin wins over a binding and is never written to the state file. Bindings outlive the
// channel's members and sources (a channel that empties and comes back keeps its key),
// and the adapter persists them (serialize / load) so that they outlive a restart too.
//
// The newest accepted statement timestamp per channel is kept here as well (in memory
// only): an announce that is not newer than it is a replay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/chunk_signature.hpp"

namespace p2pls::tracker {

class ChannelKeys {
  public:
    explicit ChannelKeys(std::size_t max_bindings = 100'000) : max_bindings_(max_bindings) {}

    // Operator pins (from the config, at start).
    void pin(std::string channel, const PublicKey& key);

    // The key `channel` belongs to, if any (pin first, then binding).
    [[nodiscard]] std::optional<PublicKey> key_of(std::string_view channel) const;
    [[nodiscard]] bool pinned(std::string_view channel) const;

    // True when binding one more channel would exceed the cap.
    [[nodiscard]] bool full() const noexcept { return bindings_.size() >= max_bindings_; }

    // Binds `channel` to `key` when it has no key yet (call only after key_of said none or
    // the same key). Marks the bindings changed when it binds.
    void bind(std::string_view channel, const PublicKey& key);

    // The newest statement timestamp accepted for `channel` (0 = none this run).
    [[nodiscard]] std::int64_t last_timestamp_ms(std::string_view channel) const;
    void set_last_timestamp_ms(std::string_view channel, std::int64_t timestamp_ms);

    // The state file: a header line, then "<channel> <base64 key>" per binding, sorted.
    [[nodiscard]] std::string serialize() const;
    // Loads a state file's bindings (replacing none that exist); nullopt on success, else
    // why the text is not a state file (line number included). Nothing is loaded then.
    std::optional<std::string> load(std::string_view text);

    // True once after the bindings changed (the adapter then writes the state file).
    bool take_changed() noexcept {
        const bool c = changed_;
        changed_ = false;
        return c;
    }
    [[nodiscard]] std::size_t bindings() const noexcept { return bindings_.size(); }

  private:
    std::size_t max_bindings_;
    std::map<std::string, PublicKey, std::less<>> pins_;
    std::map<std::string, PublicKey, std::less<>> bindings_;
    std::map<std::string, std::int64_t, std::less<>> last_ts_;
    bool changed_ = false;
};

}  // namespace p2pls::tracker
