#include "common/core/errc.hpp"

#include <string>

namespace p2pls {
namespace {

class P2plsCategory final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "p2pls"; }

    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::ok:
                return "ok";
            case Errc::frame_too_large:
                return "frame larger than the size cap";
            case Errc::frame_empty:
                return "empty frame";
            case Errc::message_malformed:
                return "malformed message";
            case Errc::message_unexpected:
                return "unexpected message";
            case Errc::bitmap_length_mismatch:
                return "buffer map length does not match window";
            case Errc::bitmap_window_invalid:
                return "buffer map window size invalid";
            case Errc::version_mismatch:
                return "protocol version mismatch";
            case Errc::channel_mismatch:
                return "channel mismatch";
            case Errc::signature_invalid:
                return "chunk signature invalid";
            case Errc::key_invalid:
                return "key invalid";
            case Errc::chunk_out_of_window:
                return "chunk outside the window";
            case Errc::token_malformed:
                return "token malformed";
            case Errc::token_bad_mac:
                return "token MAC invalid";
            case Errc::token_expired:
                return "token expired";
            case Errc::token_not_yet_valid:
                return "token not yet valid";
            case Errc::token_wrong_locker:
                return "token is for another locker";
            case Errc::token_wrong_op:
                return "token does not grant this operation";
            case Errc::token_out_of_scope:
                return "object outside the token's scope";
            case Errc::token_budget_exhausted:
                return "token byte budget exhausted";
            case Errc::token_wrong_grantee:
                return "token issued to another client";
            case Errc::not_found:
                return "not found";
            case Errc::quota_exceeded:
                return "quota exceeded";
            case Errc::store_corrupt:
                return "stored object corrupt";
            case Errc::busy:
                return "busy";
            case Errc::timeout:
                return "timed out";
            case Errc::unavailable:
                return "unavailable";
            case Errc::bad_request:
                return "bad request";
            case Errc::config_invalid:
                return "invalid configuration";
            case Errc::media_error:
                return "media pipeline error";
            case Errc::io_error:
                return "I/O error";
            case Errc::body_too_large:
                return "body larger than its cap";
            case Errc::tls_certificate_invalid:
                return "TLS certificate did not verify against the CA file (wrong CA, host name "
                       "or date)";
            case Errc::tls_failed:
                return "TLS handshake failed (is the server speaking TLS?)";
        }
        return "unknown p2pls error " + std::to_string(value);
    }
};

}  // namespace

const boost::system::error_category& p2pls_category() noexcept {
    static const P2plsCategory category;
    return category;
}

}  // namespace p2pls
