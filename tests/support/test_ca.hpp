// A certificate authority made at run time for the TLS tests, so that no key material is
// committed: a CA, and a server certificate it signed for 127.0.0.1 and localhost. Made
// with the openssl command-line tool in a fresh TempDir, removed with the object.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/child_process.hpp"

namespace p2pls::testing {

class TestCa {
  public:
    // Throws std::runtime_error with openssl's output when a step fails.
    TestCa();

    [[nodiscard]] const std::filesystem::path& ca_cert() const { return ca_cert_; }
    [[nodiscard]] const std::filesystem::path& server_cert() const { return server_cert_; }
    [[nodiscard]] const std::filesystem::path& server_key() const { return server_key_; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

  private:
    TempDir dir_{"p2pls-ca"};
    std::filesystem::path ca_cert_;
    std::filesystem::path server_cert_;
    std::filesystem::path server_key_;
};

}  // namespace p2pls::testing
