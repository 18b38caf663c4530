// A stored file as a BitTorrent web seed (BEP 19): decade-server answers an object one
// Range at a time (206), from its directory store's file (sendfile from the offset) or
// from memory; a torrent made by libtorrent whose url-list is the object's web seed URL
// (/v1/seed/<read token>/<locker>/<name>) downloads with two unmodified clients, aria2
// and libtorrent, from the DECADE server alone, every piece checked against the torrent.
// A torrent whose URL carries a forged token gets no byte, and its client says so.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/decade-server/decade_process.hpp"

namespace p2pls::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kScript = fs::path(P2PLS_SOURCE_DIR) / "tests/integration/decade-server/web_seed.py";
const std::string kSecret(64, 'c');
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, where python3-libtorrent is

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string token(const std::string& ops) {
    const auto r = run_decade({"token", "--secret", kSecret, "--locker", "pub", "--ops", ops,
                               "--prefix", "movie-", "--first", "0", "--last", "0"});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
}

// Directory store or memory.
class WebSeed : public ::testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        if (std::getenv("P2PLS_BIN_DIR") == nullptr) {
            GTEST_SKIP() << "run through ctest";
        }
        if (run({kPython, "-c", "import libtorrent"}, 20s).first != 0) {
            GTEST_SKIP() << "python3-libtorrent absent (scripts/setup.sh installs it)";
        }
        if (!have_program("aria2c")) {
            GTEST_SKIP() << "aria2c absent (scripts/setup.sh installs it)";
        }
        std::ofstream(tmp_.path() / "accounts.toml") << "[[locker]]\nid = \"pub\"\nsecret = \""
                                                     << kSecret << "\"\nquota_bytes = 100000000\n";
        std::vector<std::string> args{"--accounts", (tmp_.path() / "accounts.toml").string()};
        if (GetParam()) {
            args.insert(args.end(), {"--store", (tmp_.path() / "store").string()});
        }
        server_.start(args);
        ASSERT_FALSE(HasFatalFailure());
        // A file of some pieces (64 KiB each) and a last one cut short.
        file_ = tmp_.path() / "movie.mp4";
        std::ofstream out(file_, std::ios::binary);
        for (std::size_t i = 0; i < 1'000'003; ++i) {
            out.put(static_cast<char>((i * 2654435761U) >> 11));
        }
        out.close();
        const auto put = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T",
                              file_.string(), "-H", "Authorization: Bearer " + token("put"),
                              server_.url() + "/v1/lockers/pub/objects/movie-0"},
                             30s);
        ASSERT_EQ(put.second, "201") << put.second;
    }

    // A torrent of the file whose web seed is the object, read with `read_token`.
    fs::path torrent(const std::string& name, const std::string& read_token) {
        const auto path = tmp_.path() / (name + ".torrent");
        const auto [code, out] =
            run({kPython, kScript.string(), "create", file_.string(),
                 server_.url() + "/v1/seed/" + read_token + "/pub/movie-0", path.string()},
                60s);
        EXPECT_EQ(code, 0) << out;
        return path;
    }

    std::pair<int, std::string> aria2(const fs::path& torrent, const fs::path& into) {
        return run({"aria2c", "-q", "-d", into.string(), "--seed-time=0", "--enable-dht=false",
                    "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                    "--bt-stop-timeout=3", torrent.string()},
                   60s);
    }

    TempDir tmp_{"p2pls-web-seed"};
    DecadeProcess server_{tmp_, "decade"};
    fs::path file_;
};

TEST_P(WebSeed, UnmodifiedClientsDownloadATorrentFromTheDecadeServerAlone) {
    const auto good = torrent("good", token("get"));
    const auto [code, out] = aria2(good, tmp_.path() / "aria2");
    ASSERT_EQ(code, 0) << out << server_.output();
    EXPECT_EQ(slurp(tmp_.path() / "aria2/movie.mp4"), slurp(file_));

    const auto [lt_code, lt_out] = run({kPython, kScript.string(), "get", good.string(),
                                        (tmp_.path() / "libtorrent").string(), "40"},
                                       60s);
    ASSERT_EQ(lt_code, 0) << lt_out;
    EXPECT_NE(lt_out.find("1000003 from the web seed"), std::string::npos) << lt_out;
    EXPECT_EQ(slurp(tmp_.path() / "libtorrent/movie.mp4"), slurp(file_));

    // The server answered pieces, not whole copies: the two clients took about two files.
    const auto [m_code, metrics] = run({"curl", "-sS", server_.url() + "/metrics"}, 10s);
    const auto at = metrics.find("\ndecade_bytes_out_total ");
    ASSERT_NE(at, std::string::npos) << metrics;
    const double sent = std::stod(metrics.substr(at + 24));
    EXPECT_GE(sent, 2 * 1'000'003.0);
    EXPECT_LT(sent, 2.5 * 1'000'003.0);
}

// The token check does not depend on the store: one of them is enough.
class WebSeedAttack : public WebSeed {};

TEST_P(WebSeedAttack, ATorrentWithAForgedTokenGetsNoByte) {
    std::string forged = token("get");
    forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
    const auto bad = torrent("forged", forged);
    const auto [code, out] = aria2(bad, tmp_.path() / "aria2");
    EXPECT_NE(code, 0) << out;
    const auto got = tmp_.path() / "aria2/movie.mp4";
    EXPECT_TRUE(!fs::exists(got) || slurp(got) != slurp(file_));
    const auto [lt_code, lt_out] = run({kPython, kScript.string(), "get", bad.string(),
                                        (tmp_.path() / "libtorrent").string(), "3"},
                                       30s);
    EXPECT_EQ(lt_code, 1) << lt_out;
    EXPECT_NE(lt_out.find("incomplete: 0 of"), std::string::npos) << lt_out;
    // A Range the object cannot meet is 416; the server still serves.
    const auto [r_code, status] =
        run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-r", "2000000-",
             server_.url() + "/v1/seed/" + token("get") + "/pub/movie-0"},
            10s);
    EXPECT_EQ(status, "416");
}

INSTANTIATE_TEST_SUITE_P(Stores, WebSeed, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "Directory" : "Memory"; });
INSTANTIATE_TEST_SUITE_P(DirectoryStore, WebSeedAttack, ::testing::Values(true));

}  // namespace
}  // namespace p2pls::testing
