#include "fetch/core/download.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "portal/core/slicer.hpp"

namespace p2pls::fetch {

namespace {

constexpr std::chrono::milliseconds kFirstPause{250};
constexpr std::chrono::milliseconds kLongestPause{4000};

}  // namespace

std::string server_of(std::string_view url) {
    const auto scheme = url.find("://");
    std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    // user:password@ is not part of the server.
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest = rest.substr(at + 1);
    }
    return std::string(rest);
}

Download::Download(portal::Manifest manifest, DownloadOptions options)
    : manifest_(std::move(manifest)), options_(options) {
    options_.parallel = std::max<std::size_t>(1, options_.parallel);
    options_.rounds = std::max<std::size_t>(1, options_.rounds);
    slices_.resize(manifest_.slices.size());
    for (std::size_t i = 0; i < slices_.size(); ++i) {
        slices_[i].tries.assign(manifest_.slices[i].urls.size(), 0);
        slices_[i].barred.assign(manifest_.slices[i].urls.size(), false);
    }
}

void Download::already_have(std::size_t slice) {
    SliceState& s = slices_.at(slice);
    if (s.state != State::waiting) {
        return;
    }
    s.state = State::done;
    ++done_count_;
    retries_.erase(slice);
    bytes_done_ += manifest_.slices[slice].size;
    bytes_resumed_ += manifest_.slices[slice].size;
}

std::optional<Attempt> Download::next() {
    if (in_flight_ >= options_.parallel || lost_) {
        return std::nullopt;
    }
    std::size_t slice = 0;
    if (!retries_.empty()) {
        slice = *retries_.begin();
        retries_.erase(retries_.begin());
    } else {
        while (fresh_ < slices_.size() && slices_[fresh_].state != State::waiting) {
            ++fresh_;
        }
        if (fresh_ == slices_.size()) {
            return std::nullopt;
        }
        slice = fresh_++;
    }
    SliceState& s = slices_[slice];
    const auto& urls = manifest_.slices[slice].urls;
    // The manifest's order is ALTO's (best first); servers that are down and URLs
    // already tried for this slice go after the others.
    std::optional<std::size_t> best;
    auto key = [&](std::size_t u) {
        return std::tuple{down_.contains(server_of(urls[u])), s.tries[u], u};
    };
    for (std::size_t u = 0; u < urls.size(); ++u) {
        if (!s.barred[u] && s.tries[u] < options_.rounds && (!best || key(u) < key(*best))) {
            best = u;
        }
    }
    if (!best) {
        // fail() marks a slice lost when it runs out of URLs, so this is not reached.
        throw std::logic_error("a waiting slice has no URL left");
    }
    Attempt a;
    a.slice = slice;
    a.url = *best;
    if (const std::size_t tried = s.tries[*best]; tried > 0) {
        a.delay = std::min(kLongestPause, kFirstPause * (1 << std::min<std::size_t>(tried - 1, 8)));
    }
    ++s.tries[*best];
    s.state = State::in_flight;
    ++in_flight_;
    return a;
}

const std::string& Download::url(const Attempt& a) const {
    return manifest_.slices.at(a.slice).urls.at(a.url);
}

bool Download::deliver(const Attempt& a, std::string_view bytes) {
    const portal::ManifestSlice& m = manifest_.slices.at(a.slice);
    const bool ok = bytes.size() == m.size && portal::sha256_hex(bytes) == m.sha256;
    if (ok) {
        down_.erase(server_of(m.urls[a.url]));
        bytes_by_server_[server_of(m.urls[a.url])] += m.size;
        settle(a, true);
    } else {
        fail(a, Failure::wrong_bytes);
    }
    return ok;
}

void Download::fail(const Attempt& a, Failure why) {
    SliceState& s = slices_.at(a.slice);
    const std::string server = server_of(manifest_.slices[a.slice].urls.at(a.url));
    switch (why) {
        case Failure::transport:
            down_.insert(server);
            break;
        case Failure::busy:
            down_.erase(server);  // it answered
            break;
        case Failure::refused:
        case Failure::wrong_bytes:
            s.barred[a.url] = true;
            break;
    }
    ++fallbacks_;
    settle(a, false);
}

void Download::settle(const Attempt& a, bool ok) {
    SliceState& s = slices_[a.slice];
    if (s.state != State::in_flight) {
        throw std::logic_error("an answer for a slice that is not in flight");
    }
    --in_flight_;
    if (ok) {
        s.state = State::done;
        ++done_count_;
        bytes_done_ += manifest_.slices[a.slice].size;
        return;
    }
    s.state = State::waiting;
    check_lost(a.slice);
    if (!lost_) {
        retries_.insert(a.slice);
    }
}

void Download::check_lost(std::size_t slice) {
    const SliceState& s = slices_[slice];
    for (std::size_t u = 0; u < s.tries.size(); ++u) {
        if (!s.barred[u] && s.tries[u] < options_.rounds) {
            return;
        }
    }
    lost_ = "slice " + std::to_string(slice) + " could not be fetched from any of its " +
            std::to_string(s.tries.size()) + " servers";
}

const std::string& Download::why_lost() const {
    static const std::string none;
    return lost_ ? *lost_ : none;
}

}  // namespace p2pls::fetch
