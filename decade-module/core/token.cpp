#include "decade-module/core/token.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <limits>
#include <utility>
#include <vector>

#include "common/core/base64.hpp"
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

// Claims plus where the MAC'd payload ends, parsed without trusting anything.
struct Parsed {
    TokenClaims claims;
    std::string_view payload;
    std::string_view mac;
};

// Compares two MACs touching every byte whatever the contents.
bool equal_in_constant_time(const unsigned char* a, const char* b) {
    unsigned diff = 0;
    for (std::size_t i = 0; i < kMacBytes; ++i) {
        diff |= static_cast<unsigned>(a[i] ^ static_cast<unsigned char>(b[i]));
    }
    return diff == 0;
}

// Strict base64url without padding (common/core/base64.hpp), so that exactly one text
// encodes each token.
Result<std::string> base64_decode(std::string_view token) {
    if (token.empty() || token.size() > kMaxTokenChars) {
        return Errc::token_malformed;
    }
    auto raw = p2pls::base64_decode(token, Base64::url);
    if (!raw) {
        return Errc::token_malformed;
    }
    return std::move(*raw);
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

    return base64_encode(raw, Base64::url);
}

// SHA-256 contexts that have absorbed key^ipad and key^opad (RFC 2104).
struct LockerKey::Keyed {
    EVP_MD_CTX* inner = EVP_MD_CTX_new();
    EVP_MD_CTX* outer = EVP_MD_CTX_new();
    Keyed() = default;
    Keyed(const Keyed&) = delete;
    Keyed& operator=(const Keyed&) = delete;
    ~Keyed() {
        EVP_MD_CTX_free(inner);
        EVP_MD_CTX_free(outer);
    }
};

namespace {
// One scratch context per thread, so that verification allocates nothing.
struct Scratch {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Scratch() { EVP_MD_CTX_free(ctx); }
};
}  // namespace

LockerKey::LockerKey(const LockerSecret& secret) : secret_(secret) {
    auto keyed = std::make_shared<Keyed>();
    constexpr std::size_t kBlock = 64;  // SHA-256 block; the 32-byte key is zero-padded
    unsigned char ipad[kBlock];
    unsigned char opad[kBlock];
    for (std::size_t i = 0; i < kBlock; ++i) {
        const unsigned char k = i < secret_.size() ? secret_[i] : 0;
        ipad[i] = k ^ 0x36;
        opad[i] = k ^ 0x5c;
    }
    const EVP_MD* md = EVP_sha256();
    if (keyed->inner == nullptr || keyed->outer == nullptr ||
        EVP_DigestInit_ex(keyed->inner, md, nullptr) != 1 ||
        EVP_DigestUpdate(keyed->inner, ipad, kBlock) != 1 ||
        EVP_DigestInit_ex(keyed->outer, md, nullptr) != 1 ||
        EVP_DigestUpdate(keyed->outer, opad, kBlock) != 1) {
        keyed.reset();  // mac() then fails, and so does every verification
    }
    sodium_memzero(ipad, sizeof ipad);
    sodium_memzero(opad, sizeof opad);
    keyed_ = std::move(keyed);
}

bool LockerKey::mac(std::string_view bytes, unsigned char out[kMacBytes]) const {
    thread_local Scratch scratch;
    unsigned char inner_hash[kMacBytes];
    unsigned int len = 0;
    EVP_MD_CTX* w = scratch.ctx;
    if (!keyed_ || w == nullptr || EVP_MD_CTX_copy_ex(w, keyed_->inner) != 1 ||
        EVP_DigestUpdate(w, bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(w, inner_hash, &len) != 1 || EVP_MD_CTX_copy_ex(w, keyed_->outer) != 1 ||
        EVP_DigestUpdate(w, inner_hash, sizeof inner_hash) != 1 ||
        EVP_DigestFinal_ex(w, out, &len) != 1) {
        return false;
    }
    return true;
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
    const LockerKey* key = lookup ? lookup(parsed->claims.locker) : nullptr;
    if (key == nullptr) {
        return Errc::token_bad_mac;
    }
    unsigned char expected[kMacBytes];
    // Constant-time comparison.
    if (!key->mac(parsed->payload, expected) ||
        !equal_in_constant_time(expected, parsed->mac.data())) {
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

std::optional<HttpErrc> token_http_errc(Errc code) {
    switch (code) {
        case Errc::token_malformed:
            return HttpErrc::token_malformed;
        case Errc::token_bad_mac:
            return HttpErrc::token_bad_mac;
        case Errc::token_expired:
            return HttpErrc::token_expired;
        case Errc::token_not_yet_valid:
            return HttpErrc::token_not_yet_valid;
        case Errc::token_wrong_locker:
            return HttpErrc::token_wrong_locker;
        case Errc::token_wrong_op:
            return HttpErrc::token_wrong_op;
        case Errc::token_out_of_scope:
            return HttpErrc::token_out_of_scope;
        case Errc::token_budget_exhausted:
            return HttpErrc::token_budget_exhausted;
        case Errc::token_wrong_grantee:
            return HttpErrc::token_wrong_grantee;
        default:
            return std::nullopt;
    }
}

unsigned token_error_status(Errc code) {
    const auto http = token_http_errc(code);
    return http ? http_status(*http) : 0;
}

std::string_view token_error_reason(Errc code) {
    return wire_code(token_http_errc(code).value_or(HttpErrc::token_invalid));
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
