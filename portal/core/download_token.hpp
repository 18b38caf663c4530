// The token a download URL carries (the draft's §6.1: the publisher hands users "the
// URLs and tokens"): a DECADE token minted with the locker secret of one zone, scoped to
// the Get of one file's slices and nothing else, expiring, with a byte budget.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/errc.hpp"
#include "common/core/time.hpp"
#include "decade-module/core/token.hpp"
#include "portal/core/catalog.hpp"

namespace p2pls::portal {

struct DownloadGrant {
    UnixSeconds not_before_s = 0;
    UnixSeconds expiry_s = 0;
    std::uint64_t byte_budget = 0;  // 0 = unlimited
    std::uint64_t token_id = 0;
};

Result<std::string> download_token(const decade::LockerSecret& secret, std::string_view locker,
                                   const FileRecord& file, const DownloadGrant& grant);

}  // namespace p2pls::portal
