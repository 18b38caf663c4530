// One strict reader for the record files: a record either is exactly what
// format_*_record wrote, or is refused as a whole, so that a torn or foreign file can never
// become a half-filled record that the server then serves.
#include "decade-server/core/store_records.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <type_traits>

#include "decade-module/core/object_name.hpp"

namespace p2pls::decade_server {
namespace {

constexpr std::string_view kRefTag = "p2pls-ref";
constexpr std::string_view kLockerTag = "p2pls-locker";
constexpr std::string_view kVersion = "1";
constexpr std::size_t kFields = 5;

// The line's fields, split on single spaces; false unless there are exactly kFields, none
// empty, and the text is one line ending in '\n'.
bool split_fields(std::string_view text, std::array<std::string_view, kFields>& out) {
    if (text.size() > kMaxRecordBytes || text.empty() || text.back() != '\n') {
        return false;
    }
    std::string_view line = text.substr(0, text.size() - 1);
    for (std::size_t i = 0; i < kFields; ++i) {
        const auto space = line.find(' ');
        const bool last = i + 1 == kFields;
        if (last != (space == std::string_view::npos)) {
            return false;
        }
        out[i] = line.substr(0, space);
        if (out[i].empty()) {
            return false;
        }
        line = last ? std::string_view{} : line.substr(space + 1);
    }
    // Only the one '\n' at the end, no other control bytes.
    for (char c : text.substr(0, text.size() - 1)) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
            return false;
        }
    }
    return true;
}

// Canonical decimal into an unsigned type: digits only, no leading zero, in range.
template <class T>
bool parse_decimal(std::string_view s, T& out) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) {
        return false;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::string format_ref_record(const RefRecord& ref) {
    std::string out;
    out.reserve(128);
    out.append(kRefTag).append(" ").append(kVersion).append(" ");
    out.append(to_hex(ref.hash)).append(" ");
    out.append(std::to_string(ref.size)).append(" ");
    out.append(std::to_string(ref.expiry_s)).append("\n");
    return out;
}

Result<RefRecord> parse_ref_record(std::string_view locker, std::string_view name,
                                   std::string_view text) {
    std::array<std::string_view, kFields> f;
    if (!decade::is_valid_locker_id(locker) || !decade::is_valid_object_name(name) ||
        !split_fields(text, f) || f[0] != kRefTag || f[1] != kVersion) {
        return Errc::store_corrupt;
    }
    RefRecord ref;
    ref.locker = std::string(locker);
    ref.name = std::string(name);
    const auto hash = hash_from_hex(f[2]);
    std::uint64_t expiry = 0;
    if (!hash || !parse_decimal(f[3], ref.size) || ref.size > kMaxRecordedObjectBytes ||
        !parse_decimal(f[4], expiry) ||
        expiry > static_cast<std::uint64_t>(std::numeric_limits<UnixSeconds>::max())) {
        return Errc::store_corrupt;
    }
    ref.hash = *hash;
    ref.expiry_s = static_cast<UnixSeconds>(expiry);
    return ref;
}

std::string format_locker_record(const LockerRecord& locker) {
    std::string out;
    out.reserve(128);
    out.append(kLockerTag).append(" ").append(kVersion).append(" ");
    out.append(to_hex(locker.secret)).append(" ");  // same array type as a hash
    out.append(std::to_string(locker.quota_bytes)).append(" ");
    out.append(std::to_string(locker.bandwidth_share)).append("\n");
    return out;
}

Result<LockerRecord> parse_locker_record(std::string_view id, std::string_view text) {
    std::array<std::string_view, kFields> f;
    if (!decade::is_valid_locker_id(id) || !split_fields(text, f) || f[0] != kLockerTag ||
        f[1] != kVersion) {
        return Errc::store_corrupt;
    }
    LockerRecord record;
    record.id = std::string(id);
    // A secret is written as a hash is: 32 bytes, 64 lower-case hex digits.
    static_assert(std::is_same_v<decade::LockerSecret, BlobHash>);
    const auto secret = hash_from_hex(f[2]);
    if (!secret || !parse_decimal(f[3], record.quota_bytes) ||
        !parse_decimal(f[4], record.bandwidth_share) || record.bandwidth_share == 0 ||
        record.bandwidth_share > kMaxBandwidthShare) {
        return Errc::store_corrupt;
    }
    std::copy(secret->begin(), secret->end(), record.secret.begin());
    return record;
}

}  // namespace p2pls::decade_server
