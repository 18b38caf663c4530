#include "common/http/tls_context.hpp"

#include <boost/asio/ssl/context.hpp>
#include <stdexcept>

namespace p2pls::http {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_server_tls_context(const TlsFiles& files) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    // SSLv2/3, TLS 1.0 and 1.1 are broken or deprecated (RFC 8996).
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    boost::system::error_code ec;
    context->use_certificate_chain_file(files.cert_file, ec);
    if (ec) {
        throw std::runtime_error("TLS certificate " + files.cert_file + ": " + ec.message());
    }
    context->use_private_key_file(files.key_file, ssl::context::pem, ec);
    if (ec) {
        throw std::runtime_error("TLS key " + files.key_file + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
        throw std::runtime_error("TLS key " + files.key_file + " does not match certificate " +
                                 files.cert_file);
    }
    return context;
}

}  // namespace p2pls::http
