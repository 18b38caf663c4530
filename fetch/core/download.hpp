// What p2pls-fetch does with a manifest, as a state machine without I/O: which slice to
// ask for next and from which server, what each answer means, and when the download is
// complete or cannot be. The adapter runs the transfers and writes the bytes.
//
// Servers are untrusted caches: a slice counts only when its size and SHA-256 are the
// manifest's, and a server that sent other bytes is never asked for that slice again. A
// server that could not be reached is tried last (for every slice) until it answers
// again; one that was busy is asked again after the others, with a growing pause. The
// download is lost only when some slice has no URL left to try.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "portal/core/manifest.hpp"

namespace p2pls::fetch {

struct DownloadOptions {
    std::size_t parallel = 4;  // transfers at once
    std::size_t rounds = 3;    // tries of one URL for one slice, when its failures are transient
};

// Why a transfer did not bring the slice.
enum class Failure {
    transport,    // no connection, timeout, cut off: the server is taken for down
    busy,         // 429 or 5xx: the server is up but could not serve now
    refused,      // any other status (a token refused, the object gone): never again
    wrong_bytes,  // a body too long, too short or with another SHA-256: never again
};

struct Attempt {
    std::size_t slice = 0;
    std::size_t url = 0;  // index into the slice's urls
    // Wait this long before starting it: 0 on a first try, growing with the tries.
    std::chrono::milliseconds delay{0};
};

class Download {
  public:
    Download(portal::Manifest manifest, DownloadOptions options);

    // A slice the caller found already written with the right SHA-256 (a resumed run).
    void already_have(std::size_t slice);

    // The next transfer to start, if one may: fewer than `parallel` are in flight and a
    // slice is waiting with a URL left to try.
    std::optional<Attempt> next();

    // The body of a 200 answer to `attempt`: true when it is the slice, which the caller
    // then writes; false when it is not (the slice goes back to wait for another URL).
    bool deliver(const Attempt& attempt, std::string_view bytes);
    void fail(const Attempt& attempt, Failure why);

    [[nodiscard]] bool complete() const noexcept { return done_count_ == slices_.size(); }
    // Some slice has no URL left and none in flight: the download cannot complete.
    [[nodiscard]] bool lost() const noexcept { return lost_.has_value(); }
    [[nodiscard]] const std::string& why_lost() const;

    [[nodiscard]] const portal::Manifest& manifest() const noexcept { return manifest_; }
    [[nodiscard]] const std::string& url(const Attempt& a) const;
    [[nodiscard]] std::uint64_t bytes_done() const noexcept { return bytes_done_; }
    [[nodiscard]] std::uint64_t bytes_resumed() const noexcept { return bytes_resumed_; }
    [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
    // Transfers that failed and sent their slice to another try.
    [[nodiscard]] std::size_t fallbacks() const noexcept { return fallbacks_; }
    // Verified bytes by server ("host:port" of the URL), for the report.
    [[nodiscard]] const std::map<std::string, std::uint64_t>& bytes_by_server() const noexcept {
        return bytes_by_server_;
    }

  private:
    enum class State { waiting, in_flight, done };
    struct SliceState {
        State state = State::waiting;
        std::vector<std::size_t> tries;  // per URL
        std::vector<bool> barred;        // per URL: refused or wrong bytes
    };

    void settle(const Attempt& a, bool ok);
    void check_lost(std::size_t slice);

    portal::Manifest manifest_;
    DownloadOptions options_;
    std::vector<SliceState> slices_;
    std::set<std::string> down_;     // servers whose last transfer failed in transport
    std::set<std::size_t> retries_;  // waiting slices that have been tried before
    std::size_t fresh_ = 0;          // slices from here on have never been started
    std::size_t done_count_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t fallbacks_ = 0;
    std::uint64_t bytes_done_ = 0;
    std::uint64_t bytes_resumed_ = 0;
    std::map<std::string, std::uint64_t> bytes_by_server_;
    std::optional<std::string> lost_;
};

// "host:port" (or "host") of an http(s) URL: what failures and bytes are counted by.
std::string server_of(std::string_view url);

}  // namespace p2pls::fetch
