#include "decade-module/core/object_name.hpp"

#include <charconv>

namespace p2pls::decade {
namespace {

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '~' || c == '-';
}

bool all_name_chars(std::string_view s) {
    for (char c : s) {
        if (!name_char(c)) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool is_valid_object_name(std::string_view name) {
    // "." and ".." would be path components in a directory store and in URLs.
    return !name.empty() && name.size() <= kMaxNameBytes && name != "." && name != ".." &&
           all_name_chars(name);
}

bool is_valid_prefix(std::string_view prefix) {
    return prefix.size() <= 64 && all_name_chars(prefix);
}

bool is_valid_locker_id(std::string_view locker) {
    return !locker.empty() && locker.size() <= 64 && locker != "." && locker != ".." &&
           all_name_chars(locker);
}

std::string object_name(std::string_view prefix, std::uint64_t seq) {
    std::string name(prefix);
    name += std::to_string(seq);
    return name;
}

std::optional<std::uint64_t> object_seq(std::string_view name, std::string_view prefix) {
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) {
        return std::nullopt;
    }
    const std::string_view digits = name.substr(prefix.size());
    if (digits.size() > 20 || (digits.size() > 1 && digits.front() == '0')) {
        return std::nullopt;  // one seq has exactly one name
    }
    std::uint64_t seq = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return seq;
}

}  // namespace p2pls::decade
