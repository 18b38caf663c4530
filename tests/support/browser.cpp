#include "tests/support/browser.hpp"

#include <cstdlib>

#include "tests/support/child_process.hpp"

namespace p2pls::testing {

std::string chromium_path() {
    if (const char* env = std::getenv("CHROMIUM"); env != nullptr && *env != '\0') {
        return env;
    }
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
        if (std::filesystem::exists(p)) {
            return p;
        }
    }
    return {};
}

std::string browser_test_unready(const std::filesystem::path& repo) {
    if (std::getenv("P2PLS_BIN_DIR") == nullptr) {
        return "run through ctest";
    }
    if (chromium_path().empty()) {
        return "chromium absent (scripts/setup.sh installs it)";
    }
    if (!have_program("node")) {
        return "node absent (scripts/setup.sh installs it)";
    }
    if (!std::filesystem::exists(repo / "web/node_modules/puppeteer-core/package.json")) {
        return "web/node_modules not installed: run scripts/setup.sh (npm ci)";
    }
    return {};
}

}  // namespace p2pls::testing
