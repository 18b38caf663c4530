#include "portal/core/download_token.hpp"

namespace p2pls::portal {

Result<std::string> download_token(const decade::LockerSecret& secret, std::string_view locker,
                                   const FileRecord& file, const DownloadGrant& grant) {
    if (file.slices.empty()) {
        return Errc::bad_request;
    }
    const decade::TokenClaims claims{.locker = std::string(locker),
                                     .ops = decade::op_bit(decade::Op::get),
                                     .prefix = slice_prefix(file.id),
                                     .seq_first = 0,
                                     .seq_last = file.slices.size() - 1,
                                     .not_before_s = grant.not_before_s,
                                     .expiry_s = grant.expiry_s,
                                     .byte_budget = grant.byte_budget,
                                     .token_id = grant.token_id,
                                     .grantee = ""};
    return decade::generate_token(secret, claims);
}

}  // namespace p2pls::portal
