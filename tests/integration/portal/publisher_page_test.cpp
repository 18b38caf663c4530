// The publisher's page in a real browser: the platform on loopback (three decade-server
// zones, p2pls-alto, the portal), and headless Chromium, driven by
// web/test/publisher_page.mjs through puppeteer-core, used as a publisher would: a wrong
// key is refused, a file is uploaded through the file chooser, listed with where its
// slices live and given a link, another is uploaded and deleted, and a second publisher
// sees none of them. The link the page showed must then download, verified, with
// p2pls-fetch.
#include <boost/json.hpp>

#include "platform_fixture.hpp"
#include "tests/support/browser.hpp"

namespace p2pls {
namespace {

const fs::path kRepo = P2PLS_SOURCE_DIR;

class PublisherPage : public Platform {
  protected:
    void SetUp() override {
        if (const auto why = testing::browser_test_unready(kRepo); !why.empty()) {
            GTEST_SKIP() << why;
        }
        Platform::SetUp();
    }
};

std::vector<std::string> names(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& n : v.as_array()) {
        out.emplace_back(n.as_string());
    }
    return out;
}

TEST_F(PublisherPage, APublisherUploadsListsLinksAndDeletesInChromium) {
    ASSERT_FALSE(HasFatalFailure());
    const auto file = make_file("talk.mp4", 5 * kSliceBytes + 1234);
    const auto doomed = make_file("draft.bin", kSliceBytes / 2);

    const auto [code, out] =
        testing::run({"node", (kRepo / "web/test/publisher_page.mjs").string(), "--url",
                      portal_url_ + "/", "--chromium", testing::chromium_path(), "--out",
                      dir_.string(), "--key", kAlice, "--wrong-key", "not-a-publisher-key",
                      "--other-key", kBob, "--file", file.string(), "--doomed", doomed.string()},
                     150s, {.separate_stderr = true});
    json::object r;
    try {
        r = json::parse(out.substr(0, out.find('\n'))).as_object();
    } catch (const std::exception& e) {
        FAIL() << "not one JSON line (" << e.what() << "): " << out << "\nportal:\n"
               << portal_->output();
    }
    SCOPED_TRACE(json::serialize(r));
    ASSERT_EQ(code, 0) << portal_->output();

    // The page is served with a policy that runs only its own scripts.
    EXPECT_NE(std::string(r.at("csp").as_string()).find("script-src 'self'"), std::string::npos);
    // A key that is no publisher's is refused, and the files stay hidden.
    EXPECT_FALSE(r.at("wrongKeyError").as_string().empty());
    EXPECT_TRUE(r.at("wrongKeyWorkspaceHidden").as_bool());

    // The upload went through the file chooser; the list shows it, with its slices on two
    // zones (replication 2 of 6 slices).
    EXPECT_TRUE(names(r.at("listedAtStart")).empty());
    EXPECT_TRUE(r.at("uploadStatus").as_string().starts_with("Stored talk.mp4"));
    EXPECT_EQ(names(r.at("listedAfterUpload")), std::vector<std::string>{"talk.mp4"});
    EXPECT_NE(std::string(r.at("slicesOn").as_string()).find("/6)"), std::string::npos);

    // The deleted file left the page's list and the portal's.
    EXPECT_EQ(names(r.at("listedWithDoomed")), (std::vector<std::string>{"draft.bin", "talk.mp4"}));
    EXPECT_EQ(names(r.at("listedAfterDelete")), std::vector<std::string>{"talk.mp4"});
    const auto listing = as(kAlice, {portal_url_ + "/v1/files"});
    ASSERT_EQ(listing.status, 200);
    const auto listed = json::parse(listing.body);
    const auto& files = listed.at("files").as_array();
    ASSERT_EQ(files.size(), 1U) << listing.body;
    EXPECT_EQ(files[0].at("sha256").as_string(), portal::sha256_hex(read_file(file)));

    // Another publisher sees an empty list.
    EXPECT_TRUE(names(r.at("listedForOther")).empty());
    EXPECT_TRUE(r.at("noFilesShownForOther").as_bool());
    EXPECT_TRUE(r.at("consoleErrors").as_array().empty());
    // The only HTTP error the page met is the wrong key's 401.
    for (const auto& e : r.at("httpErrors").as_array()) {
        EXPECT_EQ(e.at("status").to_number<int>(), 401) << json::serialize(e);
    }

    // The link the page showed downloads the file, every slice verified.
    const std::string link(r.at("link").as_string());
    ASSERT_TRUE(link.starts_with(portal_url_ + "/v1/download/")) << link;
    EXPECT_EQ(std::string(r.at("metalink").as_string()).find(link), 0U);
    const auto got = dir_ / "got.mp4";
    const auto [fetch_code, fetch_out] =
        testing::run({bin_path("p2pls-fetch"), "-q", "-o", got.string(), link}, 60s);
    ASSERT_EQ(fetch_code, 0) << fetch_out;
    EXPECT_EQ(read_file(got), read_file(file));
}

}  // namespace
}  // namespace p2pls
