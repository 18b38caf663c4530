// The DECADE server's core API (decade_server::handle_request) on a MemoryStore, driven by a
// sequence of requests: single puts, gets and deletes, batches, raw requests with any
// method, target and body, and time steps with sweeps. Tokens are minted from fuzzed claims
// with the right secret, the other locker's secret, or not at all. After every request:
//   - quota and capacity hold, and the reference and blob counts agree with the store;
//   - an object is answered only under a token that verifies for reading it;
//   - what is answered is exactly what was last acknowledged under that name.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "decade-module/core/token.hpp"
#include "decade-server/core/api.hpp"
#include "decade-server/store/memory_store.hpp"
#include "p2pls/decade.pb.h"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace p2pls;
using namespace p2pls::decade_server;
using fuzz::FuzzInput;

constexpr std::string_view kLockers[] = {"alice", "bob", "eve"};  // eve does not exist
constexpr std::string_view kClients[] = {"127.0.0.1", "10.0.0.9"};
constexpr std::uint64_t kQuota = 16 * 1024;

decade::LockerSecret secret_of(std::string_view locker) {
    decade::LockerSecret s{};
    s.fill(locker == "alice" ? 0x41 : 0x42);
    return s;
}

struct Harness {
    MemoryStore store;
    ServerCore core;
    ApiConfig api;
    UnixSeconds now = 1'000'000;
    // What was last acknowledged under (locker, name).
    std::map<std::pair<std::string, std::string>, std::string> acknowledged;

    Harness()
        : core(
              [] {
                  ServerConfig c;
                  c.capacity_bytes = 48 * 1024;
                  c.max_object_bytes = 8 * 1024;
                  c.default_quota_bytes = kQuota;
                  c.self_urls = {"http://127.0.0.1:8300"};
                  return c;
              }(),
              store) {
        for (const auto locker : {"alice", "bob"}) {
            LockerRecord r;
            r.id = locker;
            r.secret = secret_of(locker);
            r.quota_bytes = kQuota;
            FUZZ_CHECK(core.add_locker(r).has_value());
        }
        api.operator_key = "operator";
        api.max_batch_ops = 16;
        api.random_bytes = [n = std::uint8_t{0}](unsigned char* out, std::size_t size) mutable {
            for (std::size_t i = 0; i < size; ++i) {
                out[i] = n++;
            }
        };
    }
};

std::string pick_name(FuzzInput& in) {
    if (in.integral<std::uint8_t>() % 8 == 0) {
        // Any printable text: names travel in URLs and in protobuf strings (UTF-8 only).
        std::string name(in.bytes(20));
        for (char& c : name) {
            c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 0x5f);
        }
        return name;
    }
    return "o-" + std::to_string(in.in_range(0, 5));
}

// A token from fuzzed claims, or fuzzed text.
std::string pick_token(FuzzInput& in, UnixSeconds now) {
    const auto how = in.integral<std::uint8_t>() % 4;
    if (how == 0) {
        return std::string(in.bytes(120));
    }
    decade::TokenClaims c;
    c.locker = std::string(kLockers[in.in_range(0, 2)]);
    c.ops = static_cast<std::uint8_t>(in.in_range(1, decade::kAllOps));
    c.prefix = in.boolean() ? "o-" : "";
    c.seq_first = in.in_range(0, 5);
    c.seq_last = c.seq_first + in.in_range(0, 5);
    if (c.prefix.empty()) {
        c.seq_last = UINT64_MAX;
    }
    c.not_before_s = now - static_cast<UnixSeconds>(in.in_range(0, 100));
    c.expiry_s = now + static_cast<UnixSeconds>(in.in_range(0, 2'000)) - 50;
    c.byte_budget = in.in_range(0, 16 * 1024);
    c.token_id = in.in_range(0, 3);
    c.grantee = in.boolean() ? "" : std::string(kClients[in.in_range(0, 1)]);
    // how == 1 signs with the other locker's secret: a MAC that must not verify.
    const auto secret = secret_of(how == 1 ? (c.locker == "alice" ? "bob" : "alice") : c.locker);
    auto token = decade::generate_token(secret, c);
    return token ? *token : std::string();
}

// Whether `token` lets `client` read `name` in `locker` now (budget aside: the core counts
// what was spent, the check here only knows the claims).
bool may_read(const Harness& h, std::string_view token, std::string_view locker,
              std::string_view name, std::string_view client) {
    const decade::LockerKey alice(secret_of("alice"));
    const decade::LockerKey bob(secret_of("bob"));
    const decade::SecretLookup lookup = [&](std::string_view l) -> const decade::LockerKey* {
        return l == "alice" ? &alice : l == "bob" ? &bob : nullptr;
    };
    const decade::TokenRequest request{.locker = locker,
                                       .op = decade::Op::get,
                                       .object_name = name,
                                       .bytes = 0,
                                       .budget_used = 0,
                                       .client_id = client};
    return decade::verify_token(token, lookup, request, h.now, h.core.config().token_skew_s)
        .has_value();
}

void check_state(const Harness& h) {
    std::size_t refs = 0;
    for (const auto locker : {"alice", "bob"}) {
        const auto info = h.core.locker_info(locker);
        FUZZ_CHECK(info.has_value());
        FUZZ_CHECK(info->bytes_used <= info->record.quota_bytes);
        refs += info->objects;
    }
    FUZZ_CHECK(refs == h.core.reference_count());
    FUZZ_CHECK(h.core.blob_count() == h.store.size());
    FUZZ_CHECK(h.core.blob_bytes() <= h.core.config().capacity_bytes);
}

void check_read(const Harness& h, std::string_view token, std::string_view locker,
                std::string_view name, std::string_view client, std::string_view data) {
    FUZZ_CHECK(may_read(h, token, locker, name, client));
    const auto it = h.acknowledged.find({std::string(locker), std::string(name)});
    FUZZ_CHECK(it != h.acknowledged.end() && it->second == data);
}

ApiResponse run(Harness& h, ApiRequest request) {
    auto step = handle_request(h.core, h.api, std::move(request), h.now);
    // A Remote Get from another server: that server is unreachable here.
    while (auto* fetch = std::get_if<FetchAndResume>(&step)) {
        step = resume(h.core, h.api, std::move(*fetch), FetchOutcome{0, "", "unreachable"}, h.now);
    }
    auto response = std::get<ApiResponse>(std::move(step));
    FUZZ_CHECK(response.status >= 200 && response.status < 600);
    FUZZ_CHECK(response.status != 500);
    return response;
}

std::string body_of(const ApiResponse& r) {
    return r.shared_body ? *r.shared_body : r.body;
}

void single_op(Harness& h, FuzzInput& in, std::string_view method) {
    const std::string locker(kLockers[in.in_range(0, 2)]);
    const std::string name = pick_name(in);
    const std::string token = pick_token(in, h.now);
    const std::string auth = "Bearer " + token;
    const std::string_view client = kClients[in.in_range(0, 1)];
    const std::string ttl(in.bytes(6));
    ApiRequest request;
    request.method = method;
    const std::string target = "/v1/lockers/" + locker + "/objects/" + name;
    request.target = target;
    request.authorization = auth;
    request.ttl = ttl;
    request.remote_address = client;
    if (method == "PUT") {
        request.body = std::string(in.bytes(4096));
    }
    const std::string put_data = request.body;
    const auto response = run(h, std::move(request));
    if (response.status >= 300) {
        return;
    }
    if (method == "PUT") {
        h.acknowledged[{locker, name}] = put_data;
    } else if (method == "DELETE") {
        h.acknowledged.erase({locker, name});
    } else if (response.status == 200) {
        check_read(h, token, locker, name, client, body_of(response));
    }
}

void batch_op(Harness& h, FuzzInput& in) {
    decade_api::BatchRequest batch;
    const auto n = in.in_range(1, 6);
    for (std::uint64_t i = 0; i < n; ++i) {
        auto* op = batch.add_ops();
        const std::string locker(kLockers[in.in_range(0, 2)]);
        const std::string name = pick_name(in);
        const std::string token = pick_token(in, h.now);
        switch (in.integral<std::uint8_t>() % 4) {
            case 0: {
                auto* put = op->mutable_put();
                put->set_locker(locker);
                put->set_name(name);
                put->set_token(token);
                put->set_data(std::string(in.bytes(2048)));
                put->set_ttl_s(static_cast<std::uint32_t>(in.in_range(0, 1'000)));
                break;
            }
            case 1: {
                auto* del = op->mutable_del();
                del->set_locker(locker);
                del->set_name(name);
                del->set_token(token);
                break;
            }
            case 2: {
                // Remote Get naming this server itself: a link, no fetch.
                auto* rg = op->mutable_remote_get();
                rg->set_locker(locker);
                rg->set_name(name);
                rg->set_token(token);
                rg->set_remote_server(in.boolean() ? "http://127.0.0.1:8300" : "http://10.9.9.9:1");
                rg->set_remote_locker(std::string(kLockers[in.in_range(0, 2)]));
                rg->set_remote_name(pick_name(in));
                rg->set_remote_token(pick_token(in, h.now));
                break;
            }
            default: {
                auto* get = op->mutable_get();
                get->set_locker(locker);
                get->set_name(name);
                get->set_token(token);
                break;
            }
        }
    }
    const std::string_view client = kClients[in.in_range(0, 1)];
    ApiRequest request;
    request.method = "POST";
    request.target = "/v1/batch";
    request.content_type = "application/x-protobuf";
    request.remote_address = client;
    request.body = batch.SerializeAsString();
    const auto response = run(h, std::move(request));
    if (response.status != 200) {
        return;
    }
    decade_api::BatchResponse results;
    FUZZ_CHECK(results.ParseFromString(body_of(response)));
    FUZZ_CHECK(results.results_size() == batch.ops_size());
    for (int i = 0; i < batch.ops_size(); ++i) {
        const auto& op = batch.ops(i);
        const auto& result = results.results(i);
        if (result.status() >= 300) {
            continue;
        }
        if (op.has_put()) {
            h.acknowledged[{op.put().locker(), op.put().name()}] = op.put().data();
        } else if (op.has_del()) {
            h.acknowledged.erase({op.del().locker(), op.del().name()});
        } else if (op.has_get()) {
            check_read(h, op.get().token(), op.get().locker(), op.get().name(), client,
                       result.data());
        } else if (op.has_remote_get()) {
            const auto& rg = op.remote_get();
            // The bytes came from the remote object, readable under the remote token.
            check_read(h, rg.remote_token(), rg.remote_locker(), rg.remote_name(), client,
                       result.data());
            const std::string stored = rg.name().empty() ? rg.remote_name() : rg.name();
            h.acknowledged[{rg.locker(), stored}] = result.data();
        }
    }
}

void raw_op(Harness& h, FuzzInput& in) {
    static constexpr std::string_view kMethods[] = {"GET", "PUT", "POST", "DELETE", "PATCH"};
    ApiRequest request;
    request.method = kMethods[in.in_range(0, 4)];
    const std::string target(in.bytes(100));
    const std::string auth(in.bytes(140));
    const std::string content_type(in.boolean() ? "application/x-protobuf" : "application/json");
    request.target = target;
    request.authorization = auth;
    request.content_type = content_type;
    request.remote_address = kClients[0];
    request.body = std::string(in.bytes(2048));
    const auto response = run(h, std::move(request));
    if (response.status >= 400) {
        FUZZ_CHECK(!response.body.empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quiet_protobuf();
    FuzzInput in(data, size);
    Harness h;
    for (int steps = 0; !in.empty() && steps < 32; ++steps) {
        switch (in.integral<std::uint8_t>() % 6) {
            case 0:
                single_op(h, in, "PUT");
                break;
            case 1:
                single_op(h, in, "GET");
                break;
            case 2:
                single_op(h, in, "DELETE");
                break;
            case 3:
                batch_op(h, in);
                break;
            case 4:
                raw_op(h, in);
                break;
            default:
                h.now += static_cast<UnixSeconds>(in.in_range(0, 1'000));
                h.core.sweep(h.now);
                break;
        }
        check_state(h);
    }
    return 0;
}
