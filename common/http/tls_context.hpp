// The server side of TLS: an OpenSSL context loaded from a PEM certificate chain and its
// private key, offering TLS 1.2 and later only. HttpServer serves HTTPS when it is given
// one. Loading happens once at start-up, so a bad file is a start-up error with the
// file's name and OpenSSL's reason, not a failed handshake later.
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace p2pls::http {

struct TlsFiles {
    std::string cert_file;  // PEM: the server certificate, then any intermediates
    std::string key_file;   // PEM: its private key
};

// Throws std::runtime_error naming the file that could not be used and why.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsFiles& files);

}  // namespace p2pls::http
