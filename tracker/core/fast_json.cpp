#include "tracker/core/fast_json.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "common/core/base64.hpp"
#include "common/core/proto_json.hpp"

namespace p2pls::tracker {
namespace {

// --- parsing ------------------------------------------------------------------------------

class Reader {
  public:
    explicit Reader(std::string_view s) : s_(s) {}

    void skip_ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
            ++i_;
        }
    }
    bool eat(char c) {
        skip_ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        skip_ws();
        return i_ < s_.size() && s_[i_] == c;
    }
    // A string of printable ASCII with no escapes (anything else: off the fast path).
    bool string(std::string_view& out) {
        if (!eat('"')) {
            return false;
        }
        const std::size_t start = i_;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '"') {
                out = s_.substr(start, i_ - start);
                ++i_;
                return true;
            }
            if (c == '\\' || c < 0x20 || c > 0x7e) {
                return false;
            }
            ++i_;
        }
        return false;
    }
    // An unsigned integer as plain digits, or (for 64-bit fields, as protobuf prints them)
    // as a quoted string of digits.
    template <class T>
    bool unsigned_int(T& out, bool allow_quoted) {
        skip_ws();
        const bool quoted = allow_quoted && i_ < s_.size() && s_[i_] == '"';
        if (quoted) {
            ++i_;
        }
        if (!digits(out)) {
            return false;
        }
        if (quoted) {
            if (i_ >= s_.size() || s_[i_] != '"') {
                return false;
            }
            ++i_;
        }
        return true;
    }

    template <class T>
    bool digits(T& out) {
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
            ++i_;
        }
        const std::size_t n = i_ - start;
        if (n == 0 || n > 20 || (n > 1 && s_[start] == '0')) {
            return false;
        }
        if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
            return false;
        }
        const auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + i_, out);
        return ec == std::errc{} && end == s_.data() + i_;
    }
    bool boolean(bool& out) {
        skip_ws();
        if (s_.substr(i_, 4) == "true") {
            i_ += 4;
            out = true;
            return true;
        }
        if (s_.substr(i_, 5) == "false") {
            i_ += 5;
            out = false;
            return true;
        }
        return false;
    }
    bool at_end() {
        skip_ws();
        return i_ == s_.size();
    }

  private:
    std::string_view s_;
    std::size_t i_ = 0;
};

bool parse_fields(Reader& in, tracker_api::AnnounceRequest& out) {
    if (!in.eat('{')) {
        return false;
    }
    unsigned seen = 0;
    const auto first_time = [&seen](unsigned bit) {
        const bool fresh = (seen & bit) == 0;
        seen |= bit;
        return fresh;
    };
    if (in.eat('}')) {
        return in.at_end();
    }
    do {
        std::string_view key;
        if (!in.string(key) || !in.eat(':')) {
            return false;
        }
        std::string_view text;
        if (key == "peer_id" && first_time(1u << 0)) {
            if (!in.string(text)) {
                return false;
            }
            out.set_peer_id(text.data(), text.size());
        } else if (key == "endpoint" && first_time(1u << 1)) {
            if (!in.string(text)) {
                return false;
            }
            out.set_endpoint(text.data(), text.size());
        } else if (key == "decade_server" && first_time(1u << 2)) {
            if (!in.string(text)) {
                return false;
            }
            out.set_decade_server(text.data(), text.size());
        } else if (key == "region" && first_time(1u << 3)) {
            if (!in.string(text)) {
                return false;
            }
            out.set_region(text.data(), text.size());
        } else if (key == "mode" && first_time(1u << 4)) {
            wire::Mode mode;
            if (!in.string(text) || !wire::Mode_Parse(std::string(text), &mode)) {
                return false;
            }
            out.set_mode(mode);
        } else if (key == "event" && first_time(1u << 5)) {
            tracker_api::Event event;
            if (!in.string(text) || !tracker_api::Event_Parse(std::string(text), &event)) {
                return false;
            }
            out.set_event(event);
        } else if (key == "num_want" && first_time(1u << 6)) {
            std::uint32_t n = 0;
            if (!in.unsigned_int(n, false)) {
                return false;
            }
            out.set_num_want(n);
        } else if (key == "chunk_ms" && first_time(1u << 8)) {
            std::uint32_t n = 0;
            if (!in.unsigned_int(n, false)) {
                return false;
            }
            out.set_chunk_ms(n);
        } else if (key == "bitrate_bps" && first_time(1u << 9)) {
            std::uint64_t n = 0;
            if (!in.unsigned_int(n, true)) {
                return false;
            }
            out.set_bitrate_bps(n);
        } else if (key == "live_edge" && first_time(1u << 10)) {
            std::uint64_t n = 0;
            if (!in.unsigned_int(n, true)) {
                return false;
            }
            out.set_live_edge(n);
        } else if (key == "timestamp_ms" && first_time(1u << 12)) {
            std::uint64_t n = 0;
            if (!in.unsigned_int(n, true)) {
                return false;
            }
            out.set_timestamp_ms(n);
        } else if ((key == "public_key" && first_time(1u << 11)) ||
                   (key == "source_epoch" && first_time(1u << 13)) ||
                   (key == "signature" && first_time(1u << 14))) {
            // Canonical standard base64 only (what protobuf prints); the other spellings
            // protobuf accepts go to protobuf.
            if (!in.string(text)) {
                return false;
            }
            auto bytes = base64_decode(text, Base64::standard);
            if (!bytes) {
                return false;
            }
            if (key == "public_key") {
                out.set_public_key(std::move(*bytes));
            } else if (key == "source_epoch") {
                out.set_source_epoch(std::move(*bytes));
            } else {
                out.set_signature(std::move(*bytes));
            }
        } else if (key == "is_source" && first_time(1u << 7)) {
            bool b = false;
            if (!in.boolean(b)) {
                return false;
            }
            out.set_is_source(b);
        } else {
            return false;  // other fields, camelCase names, duplicates: protobuf decides
        }
    } while (in.eat(','));
    return in.eat('}') && in.at_end();
}

// --- printing -----------------------------------------------------------------------------

// Characters protobuf's printer writes as they are (it escapes quotes, backslashes,
// controls, non-ASCII and some HTML-sensitive characters).
constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c <= 0x7e; ++c) {
        t[static_cast<std::size_t>(c)] = true;
    }
    for (const char c : {'"', '\\', '<', '>', '&', '\'', '='}) {
        t[static_cast<unsigned char>(c)] = false;
    }
    return t;
}();

bool plain(std::string_view s) {
    bool ok = true;
    for (const char c : s) {
        ok &= kPlain[static_cast<unsigned char>(c)];
    }
    return ok;
}

class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}
    bool ok = true;

    void raw(std::string_view s) { out_.append(s); }
    void key(std::string_view k) {
        out_ += '"';
        out_.append(k);
        out_.append("\":", 2);
    }
    void str(std::string_view s) {
        ok = ok && plain(s);
        out_ += '"';
        out_.append(s);
        out_ += '"';
    }
    // The bytes of a string value between quotes that are written by the caller.
    void bare(std::string_view s) {
        ok = ok && plain(s);
        out_.append(s);
    }
    void u64_quoted(std::uint64_t v) {
        out_ += '"';
        num(v);
        out_ += '"';
    }
    void num(std::uint64_t v) {
        char buf[24];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        out_.append(buf, end);
    }
    // protobuf's SimpleDtoa: %.15g when it round-trips, else %.17g.
    void dbl(double v) {
        char buf[32];
        int n = std::snprintf(buf, sizeof buf, "%.15g", v);
        if (std::strtod(buf, nullptr) != v) {
            n = std::snprintf(buf, sizeof buf, "%.17g", v);
        }
        out_.append(buf, static_cast<std::size_t>(n));
    }
    // protobuf's JSON mapping writes `bytes` fields as padded standard base64.
    void base64(std::string_view bytes) {
        out_ += '"';
        append_base64(out_, bytes, Base64::standard);
        out_ += '"';
    }

  private:
    std::string& out_;
};

void peer(Writer& w, const PeerRef& p) {
    w.raw(R"({"peer_id":")");
    w.bare(p.peer_id);
    w.raw(R"(","endpoint":")");
    w.bare(p.endpoint);
    w.raw(R"(","mode":")");
    w.bare(wire::Mode_Name(p.mode));
    w.raw(R"(","decade_server":")");
    w.bare(p.decade_server);
    w.raw(R"("})");
}

PeerRef ref(const tracker_api::PeerInfo& p) {
    return PeerRef{p.peer_id(), p.endpoint(), p.mode(), p.decade_server()};
}

}  // namespace

bool parse_announce_fast(std::string_view json, tracker_api::AnnounceRequest& out) {
    out.Clear();
    Reader in(json);
    if (!parse_fields(in, out)) {
        out.Clear();
        return false;
    }
    return true;
}

std::string announce_reply_json(const tracker_api::AnnounceResponse& reply) {
    AnnounceView view;
    view.interval_s = reply.interval_s();
    for (const auto& p : reply.peers()) {
        view.peers.push_back(ref(p));
    }
    if (reply.has_source()) {
        view.source = ref(reply.source());
    }
    if (reply.has_decade_server()) {
        view.decade_server = &reply.decade_server();
    }
    view.has_channel = reply.has_channel();
    const auto& c = reply.channel();
    view.channel.name = c.name();
    view.channel.bitrate_bps = c.bitrate_bps();
    view.channel.chunk_ms = c.chunk_ms();
    view.channel.public_key = c.public_key();
    view.channel.source_endpoint = c.source_endpoint();
    view.channel.live_edge = c.live_edge();
    view.channel.members = c.members();
    view.channel.source_epoch = c.source_epoch();
    view.channel.source_timestamp_ms = c.source_timestamp_ms();
    view.channel.source_signature = c.source_signature();
    view.channel.source_peer_id = c.source_peer_id();
    view.channel.source_signed_endpoint = c.source_signed_endpoint();
    std::string out = announce_reply_json(view);
    return out.empty() ? to_json(reply) : out;
}

std::string announce_reply_json(const AnnounceView& view) {
    std::string out;
    out.reserve(256 + 110 * view.peers.size());
    Writer w(out);
    w.raw("{");
    w.key("interval_s");
    w.num(view.interval_s);
    w.raw(",");
    w.key("peers");
    w.raw("[");
    for (std::size_t i = 0; i < view.peers.size(); ++i) {
        if (i > 0) {
            w.raw(",");
        }
        peer(w, view.peers[i]);
    }
    w.raw("]");
    if (view.source) {
        w.raw(",");
        w.key("source");
        peer(w, *view.source);
    }
    if (view.decade_server != nullptr) {
        const auto& d = *view.decade_server;
        w.raw(",");
        w.key("decade_server");
        w.raw("{");
        w.key("url");
        w.str(d.url());
        w.raw(",");
        w.key("region");
        w.str(d.region());
        w.raw(",");
        w.key("load");
        w.dbl(d.load());
        w.raw("}");
    }
    if (view.has_channel) {
        const auto& c = view.channel;
        w.raw(",");
        w.key("channel");
        w.raw("{");
        w.key("name");
        w.str(c.name);
        w.raw(",");
        w.key("bitrate_bps");
        w.u64_quoted(c.bitrate_bps);
        w.raw(",");
        w.key("chunk_ms");
        w.num(c.chunk_ms);
        w.raw(",");
        w.key("public_key");
        w.base64(c.public_key);
        w.raw(",");
        w.key("source_endpoint");
        w.str(c.source_endpoint);
        w.raw(",");
        w.key("live_edge");
        w.u64_quoted(c.live_edge);
        w.raw(",");
        w.key("members");
        w.num(c.members);
        w.raw(",");
        w.key("source_epoch");
        w.base64(c.source_epoch);
        w.raw(",");
        w.key("source_timestamp_ms");
        w.u64_quoted(c.source_timestamp_ms);
        w.raw(",");
        w.key("source_signature");
        w.base64(c.source_signature);
        w.raw(",");
        w.key("source_peer_id");
        w.str(c.source_peer_id);
        w.raw(",");
        w.key("source_signed_endpoint");
        w.str(c.source_signed_endpoint);
        w.raw("}");
    }
    w.raw("}");
    if (!w.ok) {
        out.clear();  // needs escaping: the caller falls back to protobuf's printer
    }
    return out;
}

}  // namespace p2pls::tracker
