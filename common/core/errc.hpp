// The one error vocabulary of p2pls. Fallible functions return
// boost::system::result<T>; the error_code carries one of these values.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <system_error>

namespace p2pls {

template <class T>
using Result = boost::system::result<T>;

enum class Errc {
    ok = 0,  // never returned as an error; 0 means success for error_code

    // --- framing and messages (peer wire, HTTP bodies) ---
    frame_too_large = 1,     // a length prefix above the configured cap
    frame_empty,             // a zero-length frame: no message can be empty
    message_malformed,       // bytes that do not parse as the expected protobuf message
    message_unexpected,      // a well-formed message that is wrong at this point
    bitmap_length_mismatch,  // buffer-map bits do not match the announced window
    bitmap_window_invalid,   // window size of 0 or above the cap
    version_mismatch,        // Hello from another protocol version
    channel_mismatch,        // Hello for another channel

    // --- chunks and signatures ---
    signature_invalid = 100,  // chunk signature does not verify under the channel key
    key_invalid,              // a key of the wrong length or unusable bytes
    chunk_out_of_window,      // a chunk seq outside the window this side holds

    // --- DECADE tokens ---
    token_malformed = 200,   // truncated, wrong encoding or wrong version
    token_bad_mac,           // MAC does not match: forged or tampered
    token_expired,           // past expiry (plus skew allowance)
    token_not_yet_valid,     // before not-before (minus skew allowance)
    token_wrong_locker,      // token is for another locker
    token_wrong_op,          // token does not grant this operation
    token_out_of_scope,      // object name outside the token's prefix/seq range
    token_budget_exhausted,  // byte budget used up
    token_wrong_grantee,     // token was issued to another client

    // --- storage ---
    not_found = 300,  // no such object, locker or channel
    quota_exceeded,   // the locker's byte quota would be exceeded
    store_corrupt,    // stored bytes fail their content-hash check

    // --- services and resources ---
    busy = 400,      // the service refuses for now; retry later
    timeout,         // an operation did not finish in its time
    unavailable,     // the service could not be reached
    bad_request,     // a request that violates the API (detail in the message)
    config_invalid,  // a configuration value out of range or inconsistent
    media_error,     // GStreamer reported an error
    io_error,        // a file or socket operation failed
    body_too_large,  // an HTTP body larger than its cap

    // --- TLS ---
    tls_certificate_invalid = 500,  // the server's certificate does not verify (CA, name, date)
    tls_failed,                     // no TLS session: handshake failed or the peer is not TLS
};

const boost::system::error_category& p2pls_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), p2pls_category()};
}

}  // namespace p2pls

template <>
struct boost::system::is_error_code_enum<p2pls::Errc> : std::true_type {};
