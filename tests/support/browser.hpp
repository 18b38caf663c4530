// What the browser tests need: Debian's chromium, node, and the web/ folder's npm
// packages (puppeteer-core drives the browser), installed by scripts/setup.sh.
#pragma once

#include <filesystem>
#include <string>

namespace p2pls::testing {

// Debian's chromium, or whatever CHROMIUM names; empty when there is none.
std::string chromium_path();

// Why a browser test cannot run here (for GTEST_SKIP), or empty when it can. `repo` is
// the source tree, whose web/node_modules must hold puppeteer-core.
std::string browser_test_unready(const std::filesystem::path& repo);

}  // namespace p2pls::testing
