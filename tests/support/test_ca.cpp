#include "tests/support/test_ca.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace p2pls::testing {

namespace {

// Runs a shell command; its output goes into the exception when it fails.
void run(const std::string& command, const std::filesystem::path& log) {
    const std::string full = command + " >" + log.string() + " 2>&1";
    if (std::system(full.c_str()) != 0) {
        std::string output;
        if (std::FILE* f = std::fopen(log.c_str(), "r")) {
            char buf[512];
            std::size_t n = 0;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
                output.append(buf, n);
            }
            std::fclose(f);
        }
        throw std::runtime_error("test CA: `" + command + "` failed: " + output);
    }
}

}  // namespace

TestCa::TestCa()
    : ca_cert_(dir_.path() / "ca.pem"),
      server_cert_(dir_.path() / "server.pem"),
      server_key_(dir_.path() / "server.key") {
    const auto d = dir_.path().string();
    const auto log = dir_.path() / "openssl.log";
    // EC keys: fast to make, so every test can have its own CA.
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        " -subj /CN=p2pls-test-ca -keyout " +
            d + "/ca.key -out " + ca_cert_.string(),
        log);
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -subj /CN=localhost -keyout " +
            server_key_.string() + " -out " + d + "/server.csr",
        log);
    std::ofstream(dir_.path() / "san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    run("openssl x509 -req -in " + d + "/server.csr -CA " + ca_cert_.string() + " -CAkey " + d +
            "/ca.key -CAcreateserial -days 2 -extfile " + d + "/san.ext -out " +
            server_cert_.string(),
        log);
}

}  // namespace p2pls::testing
