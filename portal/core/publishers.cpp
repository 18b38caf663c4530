#include "portal/core/publishers.hpp"

#include <sodium.h>
#include <toml++/toml.h>

#include "portal/core/catalog.hpp"
#include "portal/core/slicer.hpp"

namespace p2pls::portal {

std::string key_fingerprint(std::string_view api_key) {
    return sha256_hex(api_key);
}

std::variant<Publishers, std::string> Publishers::parse(std::string_view toml_text) {
    toml::table root;
    try {
        root = toml::parse(toml_text);
    } catch (const toml::parse_error& e) {
        return "line " + std::to_string(e.source().begin.line) + ": " +
               std::string(e.description());
    }
    Publishers out;
    for (const auto& [key, node] : root) {
        if (key.str() != "publishers") {
            return "unknown key \"" + std::string(key.str().substr(0, 64)) +
                   "\" (expected [[publishers]])";
        }
        const auto* list = node.as_array();
        if (list == nullptr) {
            return std::string("publishers must be an array of tables ([[publishers]])");
        }
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string where = "publishers[" + std::to_string(i) + "]";
            const auto* t = (*list)[i].as_table();
            if (t == nullptr) {
                return where + " must be a table with name and key_sha256";
            }
            Account account;
            std::string hex;
            for (const auto& [k, v] : *t) {
                if (k.str() == "name") {
                    account.name = v.value<std::string>().value_or("");
                } else if (k.str() == "key_sha256") {
                    hex = v.value<std::string>().value_or("");
                } else {
                    return where + ": unknown key \"" + std::string(k.str().substr(0, 64)) +
                           "\" (expected name, key_sha256)";
                }
            }
            if (!valid_publisher_name(account.name)) {
                return where + ".name must be 1-64 letters, digits, '_' or '-'";
            }
            std::size_t bin_len = 0;
            if (hex.size() != 64 ||
                sodium_hex2bin(account.key_sha256.data(), account.key_sha256.size(), hex.data(),
                               hex.size(), nullptr, &bin_len, nullptr) != 0 ||
                bin_len != 32) {
                return where + ".key_sha256 must be 64 hex digits (sha256sum of the key)";
            }
            for (const auto& other : out.accounts_) {
                if (other.name == account.name) {
                    return where + ": publisher \"" + account.name + "\" is listed twice";
                }
            }
            out.accounts_.push_back(std::move(account));
        }
    }
    return out;
}

std::optional<std::string> Publishers::authenticate(std::string_view api_key) const {
    std::array<unsigned char, 32> presented{};
    crypto_hash_sha256(presented.data(), reinterpret_cast<const unsigned char*>(api_key.data()),
                       api_key.size());
    std::optional<std::string> who;
    // Every account is compared, so the time taken does not say which one matched.
    for (const Account& a : accounts_) {
        if (sodium_memcmp(a.key_sha256.data(), presented.data(), presented.size()) == 0 &&
            !api_key.empty()) {
            who = a.name;
        }
    }
    return who;
}

}  // namespace p2pls::portal
