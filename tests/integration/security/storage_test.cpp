// Attacks on the DECADE server's storage and tokens, played against the real decade-server
// on loopback. Each shows that the attack fails and that honest users carry on: every
// acknowledged object stays present and byte-identical, and the grantee of a token still
// gets its object.
//
//   descriptor exhaustion  a burst of connections under a low RLIMIT_NOFILE makes blob
//                          reads fail with EMFILE: 503 + Retry-After, nothing deleted
//   kill -9 under load     the server dies mid-Put; after a restart every acknowledged
//                          object is there, and no other object is torn
//   crash states           a blob without its reference and half-written temp files,
//                          built on disk; a foreign file under a blob's name
//   a second server        on the same --store: refused, the first keeps serving
//   a stolen token         used from another address with a forged X-Decade-Client: 403;
//                          a --trusted-proxy alone may name the client
//   secrets on disk        locker records are 0600 in a 0700 folder
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "decade-module/core/token.hpp"
#include "decade-server/core/content_hash.hpp"
#include "p2pls/decade.pb.h"
#include "tests/integration/decade-server/decade_process.hpp"

namespace p2pls::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view kLocker = "alice";

decade::LockerSecret alice_secret() {
    decade::LockerSecret s;
    s.fill(0xA1);
    return s;
}

std::string hex(const decade::LockerSecret& secret) {
    char out[65];
    sodium_bin2hex(out, sizeof out, secret.data(), secret.size());
    return out;
}

UnixSeconds now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string token(const decade::LockerSecret& secret, std::string locker, std::uint8_t ops,
                  std::string grantee = "") {
    decade::TokenClaims c{.locker = std::move(locker),
                          .ops = ops,
                          .prefix = "o-",
                          .seq_first = 0,
                          .seq_last = 999'999,
                          .not_before_s = now_s() - 5,
                          .expiry_s = now_s() + 3600,
                          .byte_budget = 0,
                          .token_id = 1,
                          .grantee = std::move(grantee)};
    return decade::generate_token(secret, c).value();
}

// Deterministic bytes for object `n`: sizes from 0 to 96 KiB.
std::string payload(std::uint64_t n) {
    std::string s((n * 7919) % (96 * 1024), '\0');
    for (std::size_t i = 0; i < s.size(); ++i) {
        s[i] = static_cast<char>((n * 131 + i * 7) % 251);
    }
    return s;
}

struct Reply {
    unsigned status = 0;  // 0: no answer
    std::string headers;
    std::string body;

    [[nodiscard]] bool has_header(std::string_view line) const {
        return headers.find(line) != std::string::npos;
    }
};

// One request on its own connection from `local_ip` (Connection: close), read to the end.
Reply http(std::uint16_t port, const std::string& method, const std::string& target,
           const std::string& extra_headers = {}, const std::string& body = {},
           const std::string& local_ip = "127.0.0.1",
           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    RawConnection c(port, local_ip);
    Reply out;
    if (!c.connected()) {
        return out;
    }
    const std::string request = method + " " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Length: " +
                                std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
                                body;
    if (!c.send(request)) {
        return out;
    }
    const std::string raw = c.read_some(timeout, 64 << 20);
    const auto end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) {
        return out;
    }
    out.status = static_cast<unsigned>(std::stoul(raw.substr(9, 3)));
    out.headers = raw.substr(0, end);
    out.body = raw.substr(end + 4);
    return out;
}

// One whole response from a keep-alive connection: its header, then Content-Length bytes.
// Whether `raw` holds a whole response: the header and Content-Length bytes of body.
bool complete_response(const std::string& raw) {
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) {
        return false;
    }
    const auto at = raw.find("Content-Length: ");
    const std::size_t length =
        at == std::string::npos || at > end ? 0 : std::stoul(raw.substr(at + 16));
    return raw.size() >= end + 4 + length;
}

std::string object(std::uint64_t n) {
    return "/v1/lockers/alice/objects/o-" + std::to_string(n);
}

std::string bearer(const std::string& t) {
    return "Authorization: Bearer " + t + "\r\n";
}

class StorageAttack : public ::testing::Test {
  protected:
    StorageAttack() {
        if (sodium_init() < 0) {
            throw std::runtime_error("sodium");
        }
        std::ofstream(accounts_) << "[[locker]]\nid = \"alice\"\nsecret = \"" << hex(secret_)
                                 << "\"\nquota_bytes = 1000000000\n";
    }

    // A server on the test's store, with no per-client request cap (one address plays
    // many clients here).
    std::unique_ptr<DecadeProcess> start(const std::string& name,
                                         std::vector<std::string> extra = {}) {
        auto server = std::make_unique<DecadeProcess>(dir_, name);
        std::vector<std::string> args = {
            "--store", store_.string(), "--accounts", accounts_.string(), "--slots",
            "0",       "--max-ttl",     "86400",      "--default-ttl",    "86400"};
        args.insert(args.end(), extra.begin(), extra.end());
        server->start(std::move(args));
        return server;
    }

    // A burst of connections under a low RLIMIT_NOFILE against a server that keeps
    // `open_blobs` blob files open; then every acknowledged object is checked, before and
    // after a restart.
    void descriptor_burst(const std::string& open_blobs, int spare) {
        auto server = start("a" + open_blobs, {"--open-blobs", open_blobs});
        std::map<std::uint64_t, std::string> acked;
        for (std::uint64_t n = 1; n <= 20; ++n) {
            acked[n] = payload(n);
            ASSERT_EQ(put(server->port(), n, acked[n]), 201u) << n;
        }
        // Leave the server `spare` descriptors above what it holds now.
        const pid_t pid = server->child()->pid();
        const auto held =
            std::distance(fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd"),
                          fs::directory_iterator{});
        // Only the soft limit: giving descriptors back afterwards must not need privilege.
        rlimit usual{};
        ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, nullptr, &usual), 0) << std::strerror(errno);
        const rlimit low{static_cast<rlim_t>(held + spare), usual.rlim_max};
        ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);

        // The burst: far more keep-alive connections than descriptors, each asking for an
        // object. Every connection the server accepts holds a descriptor until the client
        // goes, so the blob reads find none left.
        std::vector<std::unique_ptr<RawConnection>> burst;
        for (int i = 0; i < 48; ++i) {
            burst.push_back(std::make_unique<RawConnection>(server->port()));
            ASSERT_TRUE(burst.back()->connected());
            const std::string target = object(1 + i % 20);
            ASSERT_TRUE(burst.back()->send("GET " + target + " HTTP/1.1\r\nHost: x\r\n" +
                                           bearer(owner_) + "\r\n"));
        }
        // Answers are read in whatever order they come: with several event loops each has
        // its own accept queue, so a connection may wait for a descriptor while a later
        // one on another loop is served.
        int ok = 0;
        int unavailable = 0;
        std::vector<std::string> raw(burst.size());
        std::size_t answered = 0;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (answered < burst.size() && std::chrono::steady_clock::now() < deadline) {
            for (std::size_t i = 0; i < burst.size(); ++i) {
                if (!burst[i]) {
                    continue;
                }
                raw[i] += burst[i]->read_some(10ms);
                if (!complete_response(raw[i])) {
                    continue;
                }
                if (raw[i].rfind("HTTP/1.1 200", 0) == 0) {
                    ++ok;
                } else if (raw[i].rfind("HTTP/1.1 503", 0) == 0) {
                    ++unavailable;
                    EXPECT_NE(raw[i].find("Retry-After: 1"), std::string::npos) << raw[i];
                    EXPECT_NE(raw[i].find("store_unavailable"), std::string::npos) << raw[i];
                } else {
                    ADD_FAILURE() << "neither the object nor a 503:\n" << raw[i].substr(0, 300);
                }
                ++answered;
                burst[i].reset();  // gives the server its descriptor back for the next one
            }
        }
        EXPECT_EQ(answered, burst.size()) << "connections never answered";
        if (spare == 1) {
            // The one spare descriptor holds the connection: its blob cannot be opened.
            EXPECT_GT(unavailable, 0)
                << "the burst never exhausted the descriptors (" << ok << " ok)";
        }
        std::cout << "--open-blobs " << open_blobs << ": burst of " << burst.size()
                  << " connections with " << low.rlim_cur << " descriptors: " << ok << " served, "
                  << unavailable << " answered 503\n";
        burst.clear();

        // After the burst the descriptors come back (with one spare, no GET can ever open
        // its blob): every acknowledged object is still there, byte for byte.
        ASSERT_TRUE(server->child()->running()) << server->output();
        ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &usual, nullptr), 0) << std::strerror(errno);
        ASSERT_TRUE(wait_until(
            [&] { return http(server->port(), "GET", object(1), bearer(owner_)).status == 200; },
            10s));
        expect_all_present(server->port(), acked);
        // And still after a restart: nothing was deleted from the store either.
        server->stop();
        server = start("b" + open_blobs);
        expect_all_present(server->port(), acked);
    }

    unsigned put(std::uint16_t port, std::uint64_t n, const std::string& bytes) {
        return http(port, "PUT", object(n), bearer(owner_), bytes).status;
    }

    // Every object in `expected` is served byte for byte.
    void expect_all_present(std::uint16_t port,
                            const std::map<std::uint64_t, std::string>& expected) {
        for (const auto& [n, bytes] : expected) {
            const Reply r = http(port, "GET", object(n), bearer(owner_));
            ASSERT_EQ(r.status, 200u) << "o-" << n << " " << r.body;
            ASSERT_EQ(r.body, bytes) << "o-" << n << " is not byte-identical";
        }
    }

    TempDir dir_{"p2pls-storage-attack"};
    const fs::path store_ = dir_.path() / "store";
    const fs::path accounts_ = dir_.path() / "accounts.toml";
    const decade::LockerSecret secret_ = alice_secret();
    const std::string owner_ = token(secret_, "alice", decade::kAllOps);
};

// Twice: with no blob files kept open (--open-blobs 0) and one spare descriptor, which
// each accepted connection takes, so that no GET can open its blob (503); and with the
// cache of open files and a few spare, where it gives descriptors back when the table is
// full. Either way every answer is the object or a 503, and nothing is lost.
TEST_F(StorageAttack, DescriptorExhaustionAnswers503AndLosesNothing) {
    for (const auto& [open_blobs, spare] : {std::pair<std::string, int>{"0", 1}, {"256", 6}}) {
        SCOPED_TRACE("--open-blobs " + open_blobs);
        fs::remove_all(store_);
        descriptor_burst(open_blobs, spare);
    }
}

// Connections that fill the descriptor table and send nothing: each further accept fails
// with EMFILE while the connection waits in the backlog. The server pauses instead of
// retrying at once (which spun a core for as long as the table stayed full), and serves
// again as soon as descriptors come back.
TEST_F(StorageAttack, AFullDescriptorTableDoesNotMakeTheServerSpin) {
    auto server = start("spin");
    ASSERT_EQ(put(server->port(), 1, payload(1)), 201u);
    const pid_t pid = server->child()->pid();
    const auto held = std::distance(fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd"),
                                    fs::directory_iterator{});
    const rlimit low{static_cast<rlim_t>(held + 2), static_cast<rlim_t>(held + 2)};
    ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
    std::vector<std::unique_ptr<RawConnection>> silent;
    for (int i = 0; i < 8; ++i) {
        silent.push_back(std::make_unique<RawConnection>(server->port()));
        ASSERT_TRUE(silent.back()->connected());
    }
    // CPU (user + system, in clock ticks) the server used over two seconds of a full table.
    const auto cpu_ticks = [&] {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string field;
        long ticks = 0;
        for (int i = 1; i <= 15 && stat >> field; ++i) {
            if (i == 14 || i == 15) {
                ticks += std::stol(field);
            }
        }
        return ticks;
    };
    std::this_thread::sleep_for(200ms);
    const long before = cpu_ticks();
    std::this_thread::sleep_for(2s);
    const long used = cpu_ticks() - before;
    // A spinning accept loop burns all 2 s (2 * CLK_TCK ticks); pausing, next to nothing.
    EXPECT_LT(used, ::sysconf(_SC_CLK_TCK) / 2) << used << " ticks in 2 s";
    silent.clear();
    ASSERT_TRUE(wait_until(
        [&] { return http(server->port(), "GET", object(1), bearer(owner_)).status == 200; }, 10s));
}

TEST_F(StorageAttack, KillDuringPutsUnderLoadLosesNoAcknowledgedObject) {
    auto server = start("a");
    const std::uint16_t port = server->port();
    std::mutex mutex;
    std::map<std::uint64_t, std::string> acked;
    std::map<std::uint64_t, std::string> unacked;  // sent, no 201 seen
    std::atomic<bool> dead{false};
    std::vector<std::thread> writers;
    for (std::uint64_t t = 0; t < 4; ++t) {
        writers.emplace_back([&, t] {
            for (std::uint64_t i = 0; i < 5'000 && !dead; ++i) {
                const std::uint64_t n = t * 100'000 + i;
                const std::string bytes = payload(n);
                const unsigned status = put(port, n, bytes);
                std::lock_guard lock(mutex);
                (status == 201 ? acked : unacked)[n] = bytes;
                if (status != 201) {
                    return;  // the server is gone
                }
            }
        });
    }
    ASSERT_TRUE(wait_until(
        [&] {
            std::lock_guard lock(mutex);
            return acked.size() >= 150;
        },
        30s));
    server->child()->signal(SIGKILL);
    EXPECT_TRUE(server->child()->wait(10s).has_value());
    dead = true;
    for (auto& w : writers) {
        w.join();
    }

    server = start("b");
    expect_all_present(server->port(), acked);
    // What was in flight at the kill is either absent or whole, never torn.
    for (const auto& [n, bytes] : unacked) {
        const Reply r = http(server->port(), "GET", object(n), bearer(owner_));
        EXPECT_TRUE(r.status == 404 || (r.status == 200 && r.body == bytes))
            << "o-" << n << ": " << r.status;
    }
    EXPECT_TRUE(fs::is_empty(store_ / "tmp"));
    std::cout << "kill -9 after " << acked.size() << " acknowledged puts (" << unacked.size()
              << " in flight): all present after restart\n";
}

TEST_F(StorageAttack, ACrashBetweenBlobAndReferenceWriteRecoversCleanly) {
    std::map<std::uint64_t, std::string> acked;
    {
        auto server = start("a");
        for (std::uint64_t n = 1; n <= 5; ++n) {
            acked[n] = payload(n);
            ASSERT_EQ(put(server->port(), n, acked[n]), 201u);
        }
        server->child()->signal(SIGKILL);
        ASSERT_TRUE(server->child()->wait(10s).has_value());
    }
    // What a crash between the blob's rename and the reference's leaves, and what a crash
    // mid-write leaves: an orphan blob, and temp files cut short.
    const std::string orphan_bytes = "a blob whose reference was never written";
    const std::string orphan = decade_server::to_hex(decade_server::hash_content(orphan_bytes));
    fs::create_directories(store_ / "blobs" / orphan.substr(0, 2));
    std::ofstream(store_ / "blobs" / orphan.substr(0, 2) / orphan, std::ios::binary)
        << orphan_bytes;
    std::ofstream(store_ / "tmp" / "4242-7") << "p2pls-ref 1 " << orphan.substr(0, 30);
    std::ofstream(store_ / "tmp" / "4242-8") << orphan_bytes.substr(0, 9);

    auto server = start("b");
    expect_all_present(server->port(), acked);
    EXPECT_FALSE(fs::exists(store_ / "blobs" / orphan.substr(0, 2) / orphan));
    EXPECT_TRUE(fs::is_empty(store_ / "tmp"));

    // A foreign file of the right size under the name of bytes about to be put: dedup by
    // size would acknowledge bytes the store does not have; by content it rewrites them.
    const std::string real = "the bytes the client sends";
    const std::string name = decade_server::to_hex(decade_server::hash_content(real));
    fs::create_directories(store_ / "blobs" / name.substr(0, 2));
    std::ofstream(store_ / "blobs" / name.substr(0, 2) / name, std::ios::binary)
        << std::string(real.size(), '?');
    ASSERT_EQ(put(server->port(), 9, real), 201u);
    acked[9] = real;
    expect_all_present(server->port(), acked);
    server->stop();
    server = start("c");
    expect_all_present(server->port(), acked);
}

TEST_F(StorageAttack, ASecondServerOnTheSameStoreIsRefusedAndTheFirstKeepsServing) {
    auto first = start("a");
    std::map<std::uint64_t, std::string> acked{{1, payload(1)}};
    ASSERT_EQ(put(first->port(), 1, acked[1]), 201u);

    const auto second = run_decade(
        {"--store", store_.string(), "--accounts", accounts_.string(), "--listen", "127.0.0.1:0"});
    EXPECT_EQ(second.code, 2);
    EXPECT_NE(second.err.find("is in use by another decade-server (pid " +
                              std::to_string(first->child()->pid()) + ")"),
              std::string::npos)
        << second.err;

    expect_all_present(first->port(), acked);
    acked[2] = payload(2);
    ASSERT_EQ(put(first->port(), 2, acked[2]), 201u);
    first->stop();
    first = start("b");
    expect_all_present(first->port(), acked);
}

TEST_F(StorageAttack, AStolenGranteeBoundTokenWithAForgedClientHeaderIsRefused) {
    auto server = start("a");
    ASSERT_EQ(put(server->port(), 1, "for 127.0.0.2 only"), 201u);
    // The owner mints a token for its neighbour at 127.0.0.2, with the server's own tool.
    const auto minted =
        run_decade({"token", "--secret", hex(secret_), "--locker", "alice", "--ops", "get",
                    "--prefix", "o-", "--first", "0", "--last", "9", "--grantee", "127.0.0.2"});
    ASSERT_EQ(minted.code, 0) << minted.err;
    const std::string bound = minted.out.substr(0, minted.out.find('\n'));
    EXPECT_EQ(
        run_decade({"token", "--secret", hex(secret_), "--locker", "alice", "--grantee", "peer-9"})
            .code,
        2);

    auto from = [&](const std::string& ip, const std::string& claimed) {
        const std::string header = claimed.empty() ? "" : "X-Decade-Client: " + claimed + "\r\n";
        return http(server->port(), "GET", object(1), bearer(bound) + header, {}, ip);
    };
    EXPECT_EQ(from("127.0.0.2", "").body, "for 127.0.0.2 only");
    // The thief holds the token and names the grantee's address.
    const Reply stolen = from("127.0.0.3", "127.0.0.2");
    EXPECT_EQ(stolen.status, 403u);
    EXPECT_NE(stolen.body.find("token_wrong_grantee"), std::string::npos) << stolen.body;
    EXPECT_EQ(stolen.body.find("for 127.0.0.2"), std::string::npos);
    EXPECT_EQ(from("127.0.0.3", "").status, 403u);
    // The grantee carries on.
    const Reply honest = from("127.0.0.2", "127.0.0.9");
    EXPECT_EQ(honest.status, 200u);
    EXPECT_EQ(honest.body, "for 127.0.0.2 only");
}

TEST_F(StorageAttack, OnlyATrustedProxyMayNameTheClient) {
    auto server = start("a", {"--trusted-proxy", "127.0.0.4"});
    ASSERT_EQ(put(server->port(), 1, "for 127.0.0.2 only"), 201u);
    const std::string bound = token(secret_, "alice", decade::op_bit(decade::Op::get), "127.0.0.2");
    auto from = [&](const std::string& ip, const std::string& claimed) {
        const std::string header = claimed.empty() ? "" : "X-Decade-Client: " + claimed + "\r\n";
        return http(server->port(), "GET", object(1), bearer(bound) + header, {}, ip);
    };
    const Reply proxied = from("127.0.0.4", "127.0.0.2");
    EXPECT_EQ(proxied.status, 200u);
    EXPECT_EQ(proxied.body, "for 127.0.0.2 only");
    EXPECT_EQ(from("127.0.0.3", "127.0.0.2").status, 403u);  // not the proxy
    EXPECT_EQ(from("127.0.0.4", "").status, 403u);           // the proxy for itself
    EXPECT_EQ(from("127.0.0.4", "127.0.0.3").status, 403u);  // for another client
    EXPECT_EQ(from("127.0.0.4", "peer-9").status, 400u);     // not an address
    EXPECT_EQ(from("127.0.0.2", "").status, 200u);           // the grantee, direct
    EXPECT_EQ(run_decade({"--trusted-proxy", "proxy.example", "--listen", "127.0.0.1:0"}).code, 2);
}

TEST_F(StorageAttack, LockerSecretsAreWrittenOwnerOnly) {
    auto server = start("a", {"--operator-key", "op-key"});
    const Reply registered = http(server->port(), "POST", "/v1/lockers",
                                  "Authorization: Bearer op-key\r\n"
                                  "Content-Type: application/x-protobuf\r\n");
    ASSERT_EQ(registered.status, 201u) << registered.body;
    decade_api::RegisterLockerResponse locker;
    ASSERT_TRUE(locker.ParseFromString(registered.body));
    const fs::path record = store_ / "lockers" / locker.locker();
    struct stat st {};
    ASSERT_EQ(::stat(record.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((store_ / "lockers").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    // The record keeps the secret whole: after a restart the owner's token still works.
    server->stop();
    server = start("b");
    decade::LockerSecret secret{};
    ASSERT_EQ(locker.secret().size(), secret.size());
    std::copy(locker.secret().begin(), locker.secret().end(), secret.begin());
    const std::string t = token(secret, locker.locker(), decade::kAllOps);
    const std::string target = "/v1/lockers/" + locker.locker() + "/objects/o-1";
    EXPECT_EQ(http(server->port(), "PUT", target, bearer(t), "mine").status, 201u);
    EXPECT_EQ(http(server->port(), "GET", target, bearer(t)).body, "mine");
}

}  // namespace
}  // namespace p2pls::testing
