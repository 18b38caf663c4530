// p2pls-fetch, the user's downloader, on the whole platform: it takes the manifest from
// a publisher's link and the slices from the zones in ALTO's order (zone 2, then 1, then
// 3), checks every slice, and survives what servers do on an open network: one serves
// other bytes under a slice's name, one is gone. An interrupted download resumes from
// what is on disk, keeping only what still verifies. It never overwrites another file,
// nor writes where another run is writing, and says why it fails with exit code 1.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "tests/integration/portal/platform_fixture.hpp"

namespace p2pls {
namespace {

class Fetch : public Platform {
  protected:
    // Runs p2pls-fetch in dir_; its exit code and what it printed.
    std::pair<int, std::string> fetch(std::vector<std::string> args) {
        args.insert(args.begin(), bin_path("p2pls-fetch"));
        return testing::run(args, 60s);
    }
    // A DECADE token for the portal's locker on every zone (they share its secret), for
    // the objects named `prefix`<seq>.
    std::string locker_token(const std::string& ops, const std::string& prefix) {
        const auto [code, token] =
            testing::run({bin_path("decade-server"), "token", "--secret", kSecretHex, "--locker",
                          "portal", "--ops", ops, "--prefix", prefix},
                         10s, {.separate_stderr = true});
        EXPECT_EQ(code, 0);
        return token.substr(0, token.find('\n'));
    }
    // Whether p2pls-fetch's summary, its last line, counts bytes from zone z: "...;
    // 192.0 KiB from 127.0.2.1:PORT, ...".
    static bool served_by(const std::string& log, int z) {
        const auto line = log.rfind("p2pls-fetch: ");
        return line != std::string::npos &&
               log.find(" from " + zone_ip(z) + ":", line) != std::string::npos;
    }
};

TEST_F(Fetch, TheFileComesWholeFromTheZoneAltoRanksBest) {
    const auto file = make_file("film.bin", 6 * kSliceBytes + 17);
    upload(file, "film.bin");
    const std::string url = link("film.bin");
    const auto out = dir_ / "got" / "film.bin";
    fs::create_directories(out.parent_path());
    const auto report = dir_ / "report.json";
    const auto [code, log] = fetch({url, "-o", out.string(), "--report", report.string()});
    ASSERT_EQ(code, 0) << log;
    EXPECT_EQ(read_file(out), read_file(file));
    EXPECT_FALSE(fs::exists(out.string() + ".part"));
    // The report has the exact figures: every byte fetched, none from zone 3.
    const auto r = json::parse(read_file(report)).as_object();
    EXPECT_TRUE(r.at("ok").as_bool());
    EXPECT_EQ(r.at("bytes_fetched").to_number<std::uint64_t>(), 6 * kSliceBytes + 17);
    std::uint64_t from_servers = 0;
    for (const auto& [server, bytes] : r.at("bytes_by_server").as_object()) {
        EXPECT_FALSE(std::string_view(server).starts_with(zone_ip(3))) << server;
        from_servers += bytes.to_number<std::uint64_t>();
    }
    EXPECT_EQ(from_servers, 6 * kSliceBytes + 17);
    // Zone 2 holds slices 1, 2, 4, 5 (round robin, two copies): every one it holds came
    // from it; the others from zone 1, ALTO's second.
    EXPECT_TRUE(served_by(log, 2)) << log;
    EXPECT_FALSE(served_by(log, 3)) << log;
    EXPECT_NE(log.find("0 fallbacks"), std::string::npos) << log;

    // Again: the file is there and verifies, so nothing is fetched.
    const auto [again, again_log] = fetch({url, "-o", out.string()});
    EXPECT_EQ(again, 0) << again_log;
    EXPECT_NE(again_log.find("already complete"), std::string::npos) << again_log;
}

TEST_F(Fetch, AServerThatLiesOrIsGoneIsPassedOverForTheNext) {
    const auto file = make_file("data.bin", 4 * kSliceBytes);
    upload(file, "data.bin");
    const std::string url = link("data.bin");
    // Zone 2, the best, now serves other bytes under one of its slices' names.
    std::size_t lied = 0;
    for (std::size_t i = 0; i < 4 && lied == 0; ++i) {
        const auto m = json::parse(curl({url}).body);
        const std::string first(m.at("slices").at(i).at("urls").at(0).as_string());
        if (first.starts_with(zone_urls_[1] + "/")) {
            const std::string object = first.substr(0, first.find('?'));
            const std::string name = object.substr(object.rfind('/') + 1);
            const std::string token =
                locker_token("put,delete", name.substr(0, name.rfind('-') + 1));
            EXPECT_EQ(curl({"-X", "DELETE", "-H", "Authorization: Bearer " + token, object}).status,
                      204);
            EXPECT_EQ(
                curl({"-X", "PUT", "-H", "Authorization: Bearer " + token, "-H",
                      "X-Decade-TTL: 600", "--data-binary", std::string(kSliceBytes, 'X'), object})
                    .status,
                201);
            lied = i + 1;
        }
    }
    ASSERT_NE(lied, 0u) << "zone 2 is first for no slice";
    const auto out = dir_ / "got-data.bin";
    auto [code, log] = fetch({url, "-o", out.string()});
    ASSERT_EQ(code, 0) << log;
    EXPECT_EQ(read_file(out), read_file(file));
    EXPECT_NE(log.find("slice " + std::to_string(lied - 1) + " from " + zone_ip(2)),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("not the slice"), std::string::npos) << log;

    // Zone 2 gone altogether: its slices come from their other zone.
    fs::remove(out);
    zones_.at(1)->stop(SIGKILL);
    std::tie(code, log) = fetch({url, "-o", out.string()});
    ASSERT_EQ(code, 0) << log;
    EXPECT_EQ(read_file(out), read_file(file));
    EXPECT_FALSE(served_by(log, 2)) << log;
}

TEST_F(Fetch, AnInterruptedDownloadResumesFromWhatStillVerifies) {
    const auto file = make_file("big.bin", 5 * kSliceBytes);
    const std::string original = read_file(file);
    upload(file, "big.bin");
    const std::string url = link("big.bin");
    // What an interrupted run leaves: slices 0 and 3 written, 1 damaged, the rest never.
    const auto out = dir_ / "got-big.bin";
    {
        std::string part(original.size(), '\0');
        part.replace(0, kSliceBytes, original.substr(0, kSliceBytes));
        part.replace(kSliceBytes, kSliceBytes, original.substr(kSliceBytes, kSliceBytes));
        part[kSliceBytes + 5] ^= 0x20;
        part.replace(3 * kSliceBytes, kSliceBytes, original.substr(3 * kSliceBytes, kSliceBytes));
        std::ofstream(out.string() + ".part", std::ios::binary) << part;
    }
    const auto [code, log] = fetch({url, "-o", out.string(), "--log-level", "info"});
    ASSERT_EQ(code, 0) << log;
    EXPECT_EQ(read_file(out), original);
    EXPECT_NE(log.find("already there"), std::string::npos) << log;
    EXPECT_NE(log.find(std::to_string(2 * kSliceBytes) + " of " + std::to_string(original.size())),
              std::string::npos)
        << log;
}

TEST_F(Fetch, RefusalsEndWithTheReasonAndNothingIsOverwritten) {
    const auto file = make_file("doc.bin", 3 * kSliceBytes);
    upload(file, "doc.bin");
    const std::string url = link("doc.bin");
    // Another file of that name is left alone.
    std::ofstream(dir_ / "mine.bin") << "my own notes";
    auto [code, log] = fetch({url, "-o", (dir_ / "mine.bin").string()});
    EXPECT_EQ(code, 1) << log;
    EXPECT_NE(log.find("exists"), std::string::npos) << log;
    EXPECT_EQ(read_file(dir_ / "mine.bin"), "my own notes");
    // A forged link.
    std::string forged = url;
    forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
    std::tie(code, log) = fetch({forged, "-o", (dir_ / "x.bin").string()});
    EXPECT_EQ(code, 1) << log;
    EXPECT_NE(log.find("401"), std::string::npos) << log;
    EXPECT_FALSE(fs::exists(dir_ / "x.bin.part"));
    // Something that is not a manifest.
    std::tie(code, log) = fetch({portal_url_ + "/metrics", "-o", (dir_ / "y.bin").string()});
    EXPECT_EQ(code, 1) << log;
    EXPECT_NE(log.find("not a manifest"), std::string::npos) << log;
    // A second run for an output that another one is writing stops before it writes.
    {
        const auto part = dir_ / "w.bin.part";
        std::ofstream(part) << "another run's slices";
        const int fd = ::open(part.c_str(), O_RDWR | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::flock(fd, LOCK_EX), 0);
        std::tie(code, log) = fetch({url, "-o", (dir_ / "w.bin").string()});
        ::close(fd);
        EXPECT_EQ(code, 1) << log;
        EXPECT_NE(log.find("another p2pls-fetch"), std::string::npos) << log;
        EXPECT_EQ(read_file(part), "another run's slices");
        EXPECT_FALSE(fs::exists(dir_ / "w.bin"));
    }
    // Every zone gone: the download is lost, with the slice named.
    for (auto* zone : zones_) {
        zone->stop(SIGKILL);
    }
    std::tie(code, log) = fetch({url, "-o", (dir_ / "z.bin").string(), "--rounds", "1", "--report",
                                 (dir_ / "z.json").string()});
    EXPECT_EQ(code, 1) << log;
    EXPECT_NE(log.find("could not be fetched"), std::string::npos) << log;
    const auto failed = json::parse(read_file(dir_ / "z.json")).as_object();
    EXPECT_FALSE(failed.at("ok").as_bool());
    EXPECT_NE(std::string(failed.at("error").as_string()).find("could not be fetched"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(dir_ / "z.bin"));
    // Bad usage.
    EXPECT_EQ(fetch({"ftp://x/y"}).first, 2);
    EXPECT_EQ(fetch({url, "--parallel", "0"}).first, 2);
    EXPECT_EQ(fetch({}).first, 2);
}

}  // namespace
}  // namespace p2pls
