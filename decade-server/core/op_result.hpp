// What one DECADE operation asks and answers, before any HTTP framing: who asks (Caller),
// and the result (OpResult) — a success status with the object or the locker's status,
// or an error made from a typed HttpErrc (common/core/http_error.hpp maps it to its HTTP
// status and wire code).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/http_error.hpp"
#include "common/core/http_range.hpp"
#include "decade-server/core/content_hash.hpp"

namespace p2pls::decade_api {
class LockerStatus;
}  // namespace p2pls::decade_api

namespace p2pls::decade_server {

// How a get wants the object: its bytes (a batch answer carries them inside its
// protobuf), or the file the store keeps it in when there is one (a whole GET, which the
// HTTP adapter sends with sendfile).
enum class ObjectForm { bytes, file_if_stored };

// Who asks, as the HTTP adapter saw it.
struct Caller {
    std::string_view token;  // from "Authorization: Bearer"
    // The asker's IP address as the server established it (core/client_address.hpp): the
    // connection's peer address, or the address a trusted proxy named. A grantee-bound
    // token must name exactly this text.
    std::string_view client_id;
};

// Result of one operation: an HTTP status of its own, an error code string for errors
// ("token_expired", "quota_exceeded", ...), the object for gets, the status for status.
struct OpResult {
    unsigned status = 200;
    std::string error;   // wire code (kHttpErrors); empty on success
    std::string detail;  // for a person
    Blob data;           // get / remote get
    BlobFile file;       // get as a file (ObjectForm::file_if_stored): `data` is then null
    std::shared_ptr<decade_api::LockerStatus> locker_status;
    // get: the part of the object the answer carries (a Range's, or whole), and its size
    // (for Content-Range).
    http::ByteRange range;
    std::uint64_t object_size = 0;
    std::string locker;               // locker the bytes are accounted to (for egress sharing)
    std::uint32_t retry_after_s = 0;  // a 503's Retry-After (0: none)

    [[nodiscard]] bool ok() const noexcept { return status < 300; }
    // The error as the one HTTP error type (only valid when !ok()).
    [[nodiscard]] HttpError http_error() const {
        return HttpError::received(status, error, detail, retry_after_s);
    }
};

// A failed operation: status and wire code from the table.
OpResult error_result(HttpErrc code, std::string_view detail);
// The store could not do it now (HttpErrc::store_unavailable): 503 with a Retry-After.
OpResult store_unavailable(std::string_view detail);
// A success with no body (201 Created, 204 No Content).
OpResult status_result(unsigned status);

}  // namespace p2pls::decade_server
