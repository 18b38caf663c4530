// The directory store's record files as pure functions: the text DirStore writes, and the
// one parser that reads it back at start-up (decade-server/store/dir_store.hpp has the
// layout). Each record is one line of ASCII fields separated by single spaces:
//
//   refs/LOCKER/NAME   "p2pls-ref 1 <hash: 64 lower-case hex> <size> <expiry_s>\n"
//   lockers/LOCKER     "p2pls-locker 1 <secret: 64 lower-case hex> <quota_bytes> <share>\n"
//
// Numbers are canonical decimal (no sign, no leading zero). The ids come from the file's
// path and are checked here too. The parser accepts exactly what the formatter writes —
// parse(format(r)) == r and format(parse(t)) == t — and refuses anything else (a torn or
// hand-edited file, another version) with store_corrupt, never a crash. It reads at most
// kMaxRecordBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "decade-server/core/blob_store.hpp"

namespace p2pls::decade_server {

// A record file longer than this is not one of ours.
inline constexpr std::size_t kMaxRecordBytes = 256;
// The largest object a reference may record: --max-object-bytes' own cap.
inline constexpr std::uint64_t kMaxRecordedObjectBytes = std::uint64_t{1} << 30;
// bandwidth_share is 1..this (the registration API's and the accounts file's cap).
inline constexpr std::uint32_t kMaxBandwidthShare = 1000;

std::string format_ref_record(const RefRecord& ref);
// `locker` and `name` are the file's parent folder and file name.
Result<RefRecord> parse_ref_record(std::string_view locker, std::string_view name,
                                   std::string_view text);

std::string format_locker_record(const LockerRecord& locker);
// `id` is the file's name.
Result<LockerRecord> parse_locker_record(std::string_view id, std::string_view text);

}  // namespace p2pls::decade_server
