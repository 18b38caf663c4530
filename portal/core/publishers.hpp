// Publisher accounts (the draft's §6.1: content publishers upload through the portal).
// A publisher proves who it is with its API key (Authorization: Bearer <key>); the portal
// keeps only each key's SHA-256, so that its configuration is no key store, and compares
// in constant time, so that the answer's timing says nothing about a key.
//
//   [[publishers]]
//   name = "alice"
//   key_sha256 = "<64 hex digits>"     # sha256sum of the key
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace p2pls::portal {

class Publishers {
  public:
    // The accounts of a TOML text, or a one-line reason.
    static std::variant<Publishers, std::string> parse(std::string_view toml_text);

    // The publisher whose key this is; nullopt for any other text.
    [[nodiscard]] std::optional<std::string> authenticate(std::string_view api_key) const;
    [[nodiscard]] std::size_t size() const noexcept { return accounts_.size(); }

  private:
    struct Account {
        std::string name;
        std::array<unsigned char, 32> key_sha256{};
    };
    std::vector<Account> accounts_;
};

// What a key's line in the accounts file holds: the key's SHA-256 in hex.
std::string key_fingerprint(std::string_view api_key);

}  // namespace p2pls::portal
