// --tls: a CA made for one testbed run (openssl command-line tool), and the certificate
// the tracker and DECADE servers serve with, for the address they listen on. Made fresh
// in the output folder, so no key is ever committed or reused across runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace p2pls::experiments {

struct TlsFiles {
    std::string ca;    // PEM: what clients verify against (--ca-file)
    std::string cert;  // PEM: the servers' certificate (--tls-cert)
    std::string key;   // PEM: its key (--tls-key)
};

// Into `dir` (created), valid for `hosts` (IPv4 addresses, at least one: the first names
// the certificate) and localhost; nullopt with `why` when openssl fails.
std::optional<TlsFiles> make_tls_files(const std::string& dir,
                                       const std::vector<std::string>& hosts, std::string& why);

}  // namespace p2pls::experiments
