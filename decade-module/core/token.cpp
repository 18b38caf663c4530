#include "decade-module/core/token.hpp"

#include <sodium.h>

#include <limits>
#include <vector>

#include "decade-module/core/object_name.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls::decade {
namespace {

// Smallest payload: version, ops, two empty-ish strings, six one-byte varints, grantee len.
constexpr std::size_t kMinPayload = 1 + 1 + 2 + 1 + 6 + 1;
constexpr std::size_t kMaxVarint = 10;

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, std::string_view s) {
    out.push_back(static_cast<char>(s.size()));
    out.append(s);
}

// Reads the payload front to back; any overrun or bad length makes it fail for good.
class Reader {
  public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == bytes_.size(); }

    std::uint8_t byte() {
        if (!ok_ || pos_ >= bytes_.size()) {
            ok_ = false;
            return 0;
        }
        return static_cast<std::uint8_t>(bytes_[pos_++]);
    }

    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < kMaxVarint; ++i) {
            const std::uint8_t b = byte();
            if (!ok_) {
                return 0;
            }
            if (i == kMaxVarint - 1 && b > 1) {
                break;  // would overflow 64 bits
            }
            v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    break;  // non-minimal encoding
                }
                return v;
            }
        }
        ok_ = false;
        return 0;
    }

    std::string_view string(std::size_t cap) {
        const std::size_t len = byte();
        if (!ok_ || len > cap || bytes_.size() - pos_ < len) {
            ok_ = false;
            return {};
        }
        const std::string_view s = bytes_.substr(pos_, len);
        pos_ += len;
        return s;
    }

  private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

constexpr auto kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

// Claims plus where the MAC'd payload ends, parsed without trusting anything.
struct Parsed {
    TokenClaims claims;
    std::string_view payload;
    std::string_view mac;
};

// Value of a base64url character (the caller has already decoded the text once).
unsigned b64_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return static_cast<unsigned>(c - 'A');
    }
    if (c >= 'a' && c <= 'z') {
        return static_cast<unsigned>(c - 'a' + 26);
    }
    if (c >= '0' && c <= '9') {
        return static_cast<unsigned>(c - '0' + 52);
    }
    return c == '-' ? 62u : 63u;
}

Result<std::string> base64_decode(std::string_view token) {
    if (token.empty() || token.size() > kMaxTokenChars) {
        return Errc::token_malformed;
    }
    // Alphabet check first: libsodium's decoder maps some bytes >= 0x80 onto alphabet
    // values, which would give one token several texts.
    for (char c : token) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return Errc::token_malformed;
        }
    }
    std::string raw(token.size() * 3 / 4 + 1, '\0');
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), token.data(),
                          token.size(), nullptr, &len, &end, kB64) != 0 ||
        end != token.data() + token.size()) {
        return Errc::token_malformed;
    }
    raw.resize(len);
    // Canonical form only: the unused low bits of the last character must be zero, so
    // that exactly one text encodes each token (libsodium does not insist on it).
    const std::size_t tail = token.size() % 4;
    if (tail == 1) {
        return Errc::token_malformed;
    }
    if (tail != 0) {
        const unsigned mask = tail == 2 ? 0x0f : 0x03;
        if ((b64_value(token.back()) & mask) != 0) {
            return Errc::token_malformed;
        }
    }
    return raw;
}

Result<Parsed> parse(std::string_view raw) {
    if (raw.size() < kMinPayload + kMacBytes) {
        return Errc::token_malformed;
    }
    Parsed p;
    p.payload = raw.substr(0, raw.size() - kMacBytes);
    p.mac = raw.substr(raw.size() - kMacBytes);
    Reader r(p.payload);
    if (r.byte() != kTokenVersion) {
        return Errc::token_malformed;
    }
    TokenClaims& c = p.claims;
    c.ops = r.byte();
    c.locker = r.string(kMaxLockerBytes);
    c.prefix = r.string(kMaxPrefixBytes);
    c.seq_first = r.varint();
    const std::uint64_t span = r.varint();
    const std::uint64_t not_before = r.varint();
    const std::uint64_t lifetime = r.varint();
    c.byte_budget = r.varint();
    c.token_id = r.varint();
    c.grantee = r.string(kMaxGranteeBytes);
    constexpr auto kMaxTime = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!r.ok() || !r.at_end() || c.locker.empty() ||
        span > std::numeric_limits<std::uint64_t>::max() - c.seq_first || not_before > kMaxTime ||
        lifetime > kMaxTime - not_before) {
        return Errc::token_malformed;
    }
    c.seq_last = c.seq_first + span;
    c.not_before_s = static_cast<UnixSeconds>(not_before);
    c.expiry_s = static_cast<UnixSeconds>(not_before + lifetime);
    return p;
}

bool claims_encodable(const TokenClaims& c) {
    return is_valid_locker_id(c.locker) && c.locker.size() <= kMaxLockerBytes &&
           is_valid_prefix(c.prefix) && c.grantee.size() <= kMaxGranteeBytes && c.ops != 0 &&
           (c.ops & ~kAllOps) == 0 && c.seq_last >= c.seq_first && c.not_before_s >= 0 &&
           c.expiry_s >= c.not_before_s;
}

bool sodium_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

}  // namespace

std::optional<std::uint8_t> parse_ops(std::string_view list) {
    std::uint8_t mask = 0;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        if (item == "get") {
            mask |= op_bit(Op::get);
        } else if (item == "put") {
            mask |= op_bit(Op::put);
        } else if (item == "delete") {
            mask |= op_bit(Op::remove);
        } else if (item == "status") {
            mask |= op_bit(Op::status);
        } else if (item == "all") {
            mask |= kAllOps;
        } else {
            return std::nullopt;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    if (mask == 0) {
        return std::nullopt;
    }
    return mask;
}

std::string ops_to_string(std::uint8_t mask) {
    std::string out;
    const std::pair<Op, const char*> names[] = {
        {Op::get, "get"}, {Op::put, "put"}, {Op::remove, "delete"}, {Op::status, "status"}};
    for (const auto& [op, name] : names) {
        if ((mask & op_bit(op)) != 0) {
            if (!out.empty()) {
                out += ',';
            }
            out += name;
        }
    }
    return out;
}

Result<std::string> generate_token(const LockerSecret& secret, const TokenClaims& claims) {
    if (!claims_encodable(claims) || !sodium_ready()) {
        return Errc::bad_request;
    }
    std::string raw;
    raw.reserve(64 + claims.locker.size() + claims.prefix.size() + claims.grantee.size());
    raw.push_back(static_cast<char>(kTokenVersion));
    raw.push_back(static_cast<char>(claims.ops));
    put_string(raw, claims.locker);
    put_string(raw, claims.prefix);
    put_varint(raw, claims.seq_first);
    put_varint(raw, claims.seq_last - claims.seq_first);
    put_varint(raw, static_cast<std::uint64_t>(claims.not_before_s));
    put_varint(raw, static_cast<std::uint64_t>(claims.expiry_s - claims.not_before_s));
    put_varint(raw, claims.byte_budget);
    put_varint(raw, claims.token_id);
    put_string(raw, claims.grantee);
    std::array<unsigned char, kMacBytes> mac{};
    crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(raw.data()),
                           raw.size(), secret.data());
    raw.append(reinterpret_cast<const char*>(mac.data()), mac.size());

    std::string out(sodium_base64_ENCODED_LEN(raw.size(), kB64), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                      raw.size(), kB64);
    out.resize(out.find('\0'));
    return out;
}

Result<TokenClaims> decode_token_unverified(std::string_view token) {
    auto raw = base64_decode(token);
    if (!raw) {
        return raw.error();
    }
    auto parsed = parse(*raw);
    if (!parsed) {
        return parsed.error();
    }
    return std::move(parsed->claims);
}

Result<TokenClaims> verify_token(std::string_view token, const SecretLookup& lookup,
                                 const TokenRequest& request, UnixSeconds now,
                                 std::int64_t skew_s) {
    if (!sodium_ready()) {
        return Errc::token_bad_mac;
    }
    auto raw = base64_decode(token);
    if (!raw) {
        return raw.error();
    }
    auto parsed = parse(*raw);
    if (!parsed) {
        return parsed.error();
    }
    // The locker id is only used to find a key here; it is trusted after the MAC checks.
    const LockerSecret* secret = lookup ? lookup(parsed->claims.locker) : nullptr;
    if (secret == nullptr) {
        return Errc::token_bad_mac;
    }
    // crypto_auth_hmacsha256_verify compares in constant time.
    if (crypto_auth_hmacsha256_verify(
            reinterpret_cast<const unsigned char*>(parsed->mac.data()),
            reinterpret_cast<const unsigned char*>(parsed->payload.data()), parsed->payload.size(),
            secret->data()) != 0) {
        return Errc::token_bad_mac;
    }
    TokenClaims& c = parsed->claims;
    skew_s = std::max<std::int64_t>(skew_s, 0);
    if (c.expiry_s <= std::numeric_limits<std::int64_t>::max() - skew_s &&
        now >= c.expiry_s + skew_s) {
        return Errc::token_expired;
    }
    if (now < c.not_before_s - skew_s) {
        return Errc::token_not_yet_valid;
    }
    if (c.locker != request.locker) {
        return Errc::token_wrong_locker;
    }
    if (!c.grantee.empty() && c.grantee != request.client_id) {
        return Errc::token_wrong_grantee;
    }
    if ((c.ops & op_bit(request.op)) == 0) {
        return Errc::token_wrong_op;
    }
    if (request.op != Op::status) {
        const auto seq = object_seq(request.object_name, c.prefix);
        if (!seq || *seq < c.seq_first || *seq > c.seq_last) {
            return Errc::token_out_of_scope;
        }
    }
    if (c.byte_budget != 0 && (request.budget_used > c.byte_budget ||
                               request.bytes > c.byte_budget - request.budget_used)) {
        return Errc::token_budget_exhausted;
    }
    return std::move(c);
}

unsigned token_error_status(Errc code) {
    switch (code) {
        case Errc::token_malformed:
        case Errc::token_bad_mac:
        case Errc::token_expired:
        case Errc::token_not_yet_valid:
            return 401;
        case Errc::token_wrong_locker:
        case Errc::token_wrong_op:
        case Errc::token_out_of_scope:
        case Errc::token_budget_exhausted:
        case Errc::token_wrong_grantee:
            return 403;
        default:
            return 0;
    }
}

std::string_view token_error_reason(Errc code) {
    switch (code) {
        case Errc::token_malformed:
            return "token_malformed";
        case Errc::token_bad_mac:
            return "token_bad_mac";
        case Errc::token_expired:
            return "token_expired";
        case Errc::token_not_yet_valid:
            return "token_not_yet_valid";
        case Errc::token_wrong_locker:
            return "token_wrong_locker";
        case Errc::token_wrong_op:
            return "token_wrong_op";
        case Errc::token_out_of_scope:
            return "token_out_of_scope";
        case Errc::token_budget_exhausted:
            return "token_budget_exhausted";
        case Errc::token_wrong_grantee:
            return "token_wrong_grantee";
        default:
            return "token_invalid";
    }
}

void to_proto(const TokenClaims& c, decade_api::TokenClaims& out) {
    out.set_version(kTokenVersion);
    out.set_locker(c.locker);
    out.set_ops(c.ops);
    out.set_prefix(c.prefix);
    out.set_seq_first(c.seq_first);
    out.set_seq_last(c.seq_last);
    out.set_not_before_s(c.not_before_s);
    out.set_expiry_s(c.expiry_s);
    out.set_byte_budget(c.byte_budget);
    out.set_token_id(c.token_id);
    out.set_grantee(c.grantee);
}

}  // namespace p2pls::decade
