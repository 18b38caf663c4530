// DECADE micro-benchmarks: token verification per second (goal
// >= 500k/s on one core), store put/get through the server core, a whole GET through the
// API (with the heap allocations it makes: bench/alloc_counter.hpp), batch
// encode/decode.
#include <benchmark/benchmark.h>

#include "bench/alloc_counter.hpp"
#include "decade-module/core/requests.hpp"
#include "decade-module/core/token.hpp"
#include "decade-server/core/api.hpp"
#include "decade-server/core/server_core.hpp"
#include "decade-server/store/memory_store.hpp"
#include "p2pls/decade.pb.h"

namespace p2pls {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;

decade::LockerSecret secret() {
    decade::LockerSecret s;
    s.fill(0x42);
    return s;
}

decade::TokenClaims range_claims() {
    return {.locker = "peer-0123456",
            .ops = decade::op_bit(decade::Op::get),
            .prefix = "chan-",
            .seq_first = 1'000'000,
            .seq_last = 1'000'063,
            .not_before_s = kNow - 10,
            .expiry_s = kNow + 60,
            .byte_budget = 0,
            .token_id = 0x1234'5678,
            .grantee = ""};
}

void BM_TokenGenerate(benchmark::State& state) {
    const auto s = secret();
    const auto claims = range_claims();
    for (auto _ : state) {
        benchmark::DoNotOptimize(decade::generate_token(s, claims));
    }
}
BENCHMARK(BM_TokenGenerate);

void BM_TokenVerify(benchmark::State& state) {
    const auto s = secret();
    const std::string token = *decade::generate_token(s, range_claims());
    const decade::LockerKey key(s);
    const decade::SecretLookup lookup = [&](std::string_view) { return &key; };
    const decade::TokenRequest request{.locker = "peer-0123456",
                                       .op = decade::Op::get,
                                       .object_name = "chan-1000042",
                                       .bytes = 65536,
                                       .budget_used = 0,
                                       .client_id = ""};
    for (auto _ : state) {
        auto r = decade::verify_token(token, lookup, request, kNow);
        if (!r) {
            state.SkipWithError("verification failed");
        }
        benchmark::DoNotOptimize(r);
    }
    state.counters["tokens/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["token_chars"] = static_cast<double>(token.size());
}
BENCHMARK(BM_TokenVerify);

void BM_TokenRejectForged(benchmark::State& state) {
    const auto s = secret();
    std::string token = *decade::generate_token(s, range_claims());
    token[20] = token[20] == 'A' ? 'B' : 'A';
    const decade::LockerKey key(s);
    const decade::SecretLookup lookup = [&](std::string_view) { return &key; };
    const decade::TokenRequest request{.locker = "peer-0123456",
                                       .op = decade::Op::get,
                                       .object_name = "chan-1000042",
                                       .bytes = 0,
                                       .budget_used = 0,
                                       .client_id = ""};
    for (auto _ : state) {
        benchmark::DoNotOptimize(decade::verify_token(token, lookup, request, kNow));
    }
}
BENCHMARK(BM_TokenRejectForged);

// Put then get of one object through ServerCore + MemoryStore (token checks included).
void BM_CorePutGet(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    decade_server::MemoryStore store;
    decade_server::ServerConfig config;
    config.capacity_bytes = 1ULL << 34;
    config.token_skew_s = 0;
    decade_server::ServerCore core(config, store);
    (void)core.add_locker({"peer-0123456", secret(), 1ULL << 34, 1});
    auto claims = range_claims();
    claims.ops = decade::kAllOps;
    claims.seq_first = 0;
    claims.seq_last = UINT64_MAX;
    const std::string token = *decade::generate_token(secret(), claims);
    const std::string bytes(size, 'x');
    std::uint64_t seq = 0;
    for (auto _ : state) {
        std::string data = bytes;
        data[0] = static_cast<char>(seq);
        const std::string name = "chan-" + std::to_string(seq++ % 1000);
        auto put = core.put({token, ""}, "peer-0123456", name, std::move(data), 60, kNow);
        auto got = core.get({token, ""}, "peer-0123456", name, kNow);
        benchmark::DoNotOptimize(put);
        benchmark::DoNotOptimize(got);
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CorePutGet)->Arg(64 * 1024)->Arg(1024 * 1024);

void BM_CoreGet(benchmark::State& state) {
    decade_server::MemoryStore store;
    decade_server::ServerCore core({}, store);
    (void)core.add_locker({"peer-0123456", secret(), 1ULL << 30, 1});
    auto claims = range_claims();
    claims.ops = decade::kAllOps;
    const std::string token = *decade::generate_token(secret(), claims);
    (void)core.put({token, ""}, "peer-0123456", "chan-1000000", std::string(65536, 'x'), 60, kNow);
    for (auto _ : state) {
        benchmark::DoNotOptimize(core.get({token, ""}, "peer-0123456", "chan-1000000", kNow));
    }
}
BENCHMARK(BM_CoreGet);

// GET /v1/lockers/{l}/objects/{name} through handle_request, as the HTTP adapter calls it
// (the Beast parsing and the socket are not in it); `allocs/GET` is what it allocates.
void BM_ApiGet(benchmark::State& state) {
    // A locker id as peers register them: longer than a std::string keeps inline.
    static constexpr std::string_view kLocker = "l-d3a9f762b89e850f51";
    decade_server::MemoryStore store;
    decade_server::ServerCore core({}, store);
    (void)core.add_locker({std::string(kLocker), secret(), 1ULL << 30, 1});
    auto claims = range_claims();
    claims.locker = std::string(kLocker);
    claims.ops = decade::kAllOps;
    const std::string token = *decade::generate_token(secret(), claims);
    (void)core.put({token, ""}, kLocker, "chan-1000000", std::string(4096, 'x'), 60, kNow);
    const decade_server::ApiConfig config;
    const std::string authorization = "Bearer " + token;
    const std::uint64_t before = heap_allocations();
    for (auto _ : state) {
        decade_server::ApiRequest request;
        request.method = "GET";
        request.target = "/v1/lockers/l-d3a9f762b89e850f51/objects/chan-1000000";
        request.authorization = authorization;
        request.client = "";
        request.remote_address = "127.0.0.1";
        auto step = decade_server::handle_request(core, config, std::move(request), kNow);
        benchmark::DoNotOptimize(step);
    }
    state.counters["allocs/GET"] = benchmark::Counter(
        static_cast<double>(heap_allocations() - before), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ApiGet);

decade_api::BatchResponse batch_response(int ops, std::size_t bytes) {
    decade_api::BatchResponse r;
    for (int i = 0; i < ops; ++i) {
        auto* res = r.add_results();
        res->set_status(200);
        res->set_data(std::string(bytes, 'x'));
    }
    return r;
}

void BM_BatchRequestEncodeDecode(benchmark::State& state) {
    const std::string token = *decade::generate_token(secret(), range_claims());
    for (auto _ : state) {
        decade_api::BatchRequest batch;
        for (int i = 0; i < state.range(0); ++i) {
            auto* g = batch.add_ops()->mutable_get();
            g->set_locker("peer-0123456");
            g->set_name("chan-" + std::to_string(1'000'000 + i));
            g->set_token(token);
        }
        const auto spec = decade::make_batch(batch);
        decade_api::BatchRequest parsed;
        benchmark::DoNotOptimize(parsed.ParseFromString(spec.body));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BatchRequestEncodeDecode)->Arg(16)->Arg(64);

void BM_BatchResponseDecode(benchmark::State& state) {
    const std::string wire = batch_response(16, 64 * 1024).SerializeAsString();
    for (auto _ : state) {
        decade_api::BatchResponse r;
        benchmark::DoNotOptimize(r.ParseFromString(wire));
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK(BM_BatchResponseDecode);

}  // namespace
}  // namespace p2pls
